#include "resampler.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>
}

namespace rampart::xc {

Result<Resampler> Resampler::create(int in_rate, int out_rate) {
  Resampler r;
  AVChannelLayout mono;
  av_channel_layout_default(&mono, 1);
  int rc = swr_alloc_set_opts2(&r.swr_, &mono, AV_SAMPLE_FMT_S16, out_rate, &mono,
                               AV_SAMPLE_FMT_S16, in_rate, 0, nullptr);
  if (rc < 0 || r.swr_ == nullptr || swr_init(r.swr_) < 0) {
    return Error{ErrorCode::Internal, "swr_init failed"};
  }
  r.in_ = in_rate;
  r.out_ = out_rate;
  return r;
}

Resampler& Resampler::operator=(Resampler&& o) noexcept {
  if (this != &o) {
    swr_free(&swr_);
    swr_ = o.swr_;
    in_ = o.in_;
    out_ = o.out_;
    o.swr_ = nullptr;
  }
  return *this;
}

Resampler::~Resampler() { swr_free(&swr_); }

int Resampler::convert(const int16_t* in, int n, int16_t* out, int cap) {
  const auto* src = reinterpret_cast<const uint8_t*>(in);
  auto* dst = reinterpret_cast<uint8_t*>(out);
  int got = swr_convert(swr_, &dst, cap, &src, n);
  return got < 0 ? 0 : got;
}

}  // namespace rampart::xc
