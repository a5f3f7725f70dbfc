#pragma once
// Mono s16 sample-rate conversion with libswresample (G.711 8 kHz <-> G.722 16 kHz); Opus
// needs none, libopus decodes and encodes at 8/16 kHz itself.
#include <cstdint>

#include <rampart/platform/result.h>

struct SwrContext;

namespace rampart::xc {

class Resampler {
 public:
  static Result<Resampler> create(int in_rate, int out_rate);
  Resampler() = default;
  Resampler(Resampler&& o) noexcept : swr_(o.swr_), in_(o.in_), out_(o.out_) { o.swr_ = nullptr; }
  Resampler& operator=(Resampler&& o) noexcept;
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;
  ~Resampler();

  /// Converts `n` samples into `out` (room for `cap`). @return samples written.
  int convert(const int16_t* in, int n, int16_t* out, int cap);

 private:
  SwrContext* swr_ = nullptr;
  int in_ = 0;
  int out_ = 0;
};

}  // namespace rampart::xc
