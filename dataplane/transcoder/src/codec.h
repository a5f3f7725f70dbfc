#pragma once
// Decoders and encoders of one transcoded direction, made when the flow is programmed and
// reused for every packet. Samples are interleaved signed 16-bit; the engine runs mono.
#include <cstddef>
#include <cstdint>
#include <memory>

#include <rampart/platform/abi.h>
#include <rampart/platform/result.h>

namespace rampart::xc {

// 120 ms at 48 kHz: the longest Opus frame, and more than any G.711/G.722 packet we accept.
inline constexpr int kMaxFrameSamples = 5760;

class Decoder {
 public:
  virtual ~Decoder() = default;
  /// Decodes one RTP payload into `pcm` (room for kMaxFrameSamples). @return samples, or -1
  /// when the payload is corrupt (the caller counts it).
  virtual int decode(const uint8_t* payload, std::size_t len, int16_t* pcm) = 0;
  /// Fills `samples` samples for a lost packet (packet loss concealment). @return samples.
  virtual int conceal(int samples, int16_t* pcm) = 0;
  /// Recovers the packet before `payload` from its in-band FEC, `samples` long.
  /// @return samples, 0 when the codec or the packet carries none.
  virtual int recoverFec(const uint8_t* /*payload*/, std::size_t /*len*/, int /*samples*/,
                         int16_t* /*pcm*/) {
    return 0;
  }
  /// Output sample rate.
  virtual int rate() const = 0;
};

class Encoder {
 public:
  virtual ~Encoder() = default;
  /// Encodes exactly frameSamples() samples. @return payload bytes, or -1.
  virtual int encode(const int16_t* pcm, uint8_t* out, std::size_t cap) = 0;
  virtual int rate() const = 0;
  virtual int frameSamples() const = 0;
};

/// The rate at which `c` is natively decoded or encoded (G.722: 16000, G.711: 8000, Opus: 48000).
int nativeRate(abi::XcodeCodecId c);

/// An Opus decoder producing `rate` Hz mono (libopus resamples internally for 8/16/24 kHz).
Result<std::unique_ptr<Decoder>> makeOpusDecoder(int rate);
/// An Opus encoder fed `rate` Hz mono, configured from the negotiated fmtp in `c`.
Result<std::unique_ptr<Encoder>> makeOpusEncoder(int rate, const abi::XcodeCodec& c);
/// G.711 mu-law/A-law and G.722 through libavcodec.
Result<std::unique_ptr<Decoder>> makeAvDecoder(abi::XcodeCodecId c);
Result<std::unique_ptr<Encoder>> makeAvEncoder(abi::XcodeCodecId c, int ptime_ms);

}  // namespace rampart::xc
