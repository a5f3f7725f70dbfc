// Opus through libopus (RFC 6716, RTP payload RFC 7587).
#include <opus/opus.h>

#include <vector>

#include "codec.h"

namespace rampart::xc {
namespace {

// Whether a single-frame SILK or hybrid packet carries in-band FEC (LBRR) for the previous
// frame. RFC 6716 4.2.3-4.2.4: the range coder starts with one VAD flag per SILK frame and
// then the LBRR flag, each with probability 1/2, so they are the first bits after the TOC.
// (libopus 1.3 has no opus_packet_has_lbrr; decoding with FEC on a packet without it would
// silently be PLC and be miscounted.)
bool hasLbrr(const uint8_t* p, std::size_t len) {
  if (len < 2 || (p[0] & 0x03) != 0) {
    return false;  // code 1-3 packets: several frames, not parsed here
  }
  int config = p[0] >> 3;
  if (config >= 16) {
    return false;  // CELT only: no FEC
  }
  static constexpr int kSilkFrames[4] = {1, 1, 2, 3};  // 10, 20, 40, 60 ms
  int frames = config < 12 ? kSilkFrames[config % 4] : 1;
  return ((p[1] >> (7 - frames)) & 1) != 0;
}

class OpusDec final : public Decoder {
 public:
  OpusDec(OpusDecoder* d, int rate) : d_(d), rate_(rate) {}
  ~OpusDec() override { opus_decoder_destroy(d_); }
  OpusDec(const OpusDec&) = delete;
  OpusDec& operator=(const OpusDec&) = delete;

  int decode(const uint8_t* payload, std::size_t len, int16_t* pcm) override {
    if (len == 0 || len > std::size_t{1275} * 3) {
      return -1;
    }
    int n = opus_decode(d_, payload, static_cast<opus_int32>(len), pcm, kMaxFrameSamples, 0);
    return n < 0 ? -1 : n;
  }
  int conceal(int samples, int16_t* pcm) override {
    int n = opus_decode(d_, nullptr, 0, pcm, clamp(samples), 0);
    return n < 0 ? 0 : n;
  }
  int recoverFec(const uint8_t* payload, std::size_t len, int samples, int16_t* pcm) override {
    if (len == 0 || len > std::size_t{1275} * 3 || !hasLbrr(payload, len)) {
      return 0;
    }
    int n = opus_decode(d_, payload, static_cast<opus_int32>(len), pcm, clamp(samples), 1);
    return n < 0 ? 0 : n;
  }
  int rate() const override { return rate_; }

 private:
  // libopus wants a multiple of 2.5 ms for PLC/FEC.
  int clamp(int samples) const {
    int quantum = rate_ / 400;
    samples = samples - samples % quantum;
    if (samples <= 0) {
      samples = rate_ / 50;
    }
    return samples > kMaxFrameSamples ? kMaxFrameSamples : samples;
  }
  OpusDecoder* d_;
  int rate_;
};

// Mono in (the pipeline is mono); stereo out when the receiver asked for it (stereo=1, RFC 7587
// 7.1), the same signal in both channels, which Opus codes as mid with an empty side.
class OpusEnc final : public Encoder {
 public:
  OpusEnc(OpusEncoder* e, int rate, int frame, bool stereo)
      : e_(e), rate_(rate), frame_(frame), stereo_(stereo) {
    if (stereo_) {
      both_.resize(static_cast<std::size_t>(frame_) * 2);  // allocated with the call
    }
  }
  ~OpusEnc() override { opus_encoder_destroy(e_); }
  OpusEnc(const OpusEnc&) = delete;
  OpusEnc& operator=(const OpusEnc&) = delete;

  int encode(const int16_t* pcm, uint8_t* out, std::size_t cap) override {
    if (stereo_) {
      for (int i = 0; i < frame_; ++i) {
        both_[2 * static_cast<std::size_t>(i)] = pcm[i];
        both_[2 * static_cast<std::size_t>(i) + 1] = pcm[i];
      }
      pcm = both_.data();
    }
    int n = opus_encode(e_, pcm, frame_, out, static_cast<opus_int32>(cap));
    return n < 0 ? -1 : n;
  }
  int rate() const override { return rate_; }
  int frameSamples() const override { return frame_; }

 private:
  OpusEncoder* e_;
  int rate_;
  int frame_;
  bool stereo_;
  std::vector<int16_t> both_;  // interleaved L/R of one frame (stereo only)
};

bool opusRate(int rate) {
  return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

}  // namespace

Result<std::unique_ptr<Decoder>> makeOpusDecoder(int rate) {
  if (!opusRate(rate)) {
    return Error{ErrorCode::InvalidArgument, "opus: unsupported decode rate"};
  }
  int err = 0;
  OpusDecoder* d = opus_decoder_create(rate, 1, &err);
  if (d == nullptr || err != OPUS_OK) {
    return Error{ErrorCode::Internal, std::string("opus_decoder_create: ") + opus_strerror(err)};
  }
  return std::unique_ptr<Decoder>(new OpusDec(d, rate));
}

Result<std::unique_ptr<Encoder>> makeOpusEncoder(int rate, const abi::XcodeCodec& c) {
  int ptime = c.ptime_ms == 0 ? 20 : c.ptime_ms;
  if (!opusRate(rate) || (ptime != 10 && ptime != 20 && ptime != 40 && ptime != 60)) {
    return Error{ErrorCode::InvalidArgument, "opus: unsupported encode rate or ptime"};
  }
  int err = 0;
  bool stereo = (c.opus_flags & abi::kXcOpusStereo) != 0;
  OpusEncoder* e = opus_encoder_create(rate, stereo ? 2 : 1, OPUS_APPLICATION_VOIP, &err);
  if (e == nullptr || err != OPUS_OK) {
    return Error{ErrorCode::Internal, std::string("opus_encoder_create: ") + opus_strerror(err)};
  }
  int kbps = c.bitrate_kbps == 0 ? 32 : c.bitrate_kbps;
  opus_encoder_ctl(e, OPUS_SET_BITRATE(kbps * 1000));
  opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(5));  // a transcoder serves many calls per core
  bool fec = (c.opus_flags & abi::kXcOpusFec) != 0;
  opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(fec ? 1 : 0));
  opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(fec ? 5 : 0));
  opus_encoder_ctl(e, OPUS_SET_DTX((c.opus_flags & abi::kXcOpusDtx) != 0 ? 1 : 0));
  if (c.max_playback_rate != 0 && c.max_playback_rate <= 8000) {
    opus_encoder_ctl(e, OPUS_SET_MAX_BANDWIDTH(OPUS_BANDWIDTH_NARROWBAND));
  } else if (c.max_playback_rate != 0 && c.max_playback_rate <= 16000) {
    opus_encoder_ctl(e, OPUS_SET_MAX_BANDWIDTH(OPUS_BANDWIDTH_WIDEBAND));
  }
  return std::unique_ptr<Encoder>(new OpusEnc(e, rate, rate * ptime / 1000, stereo));
}

int nativeRate(abi::XcodeCodecId c) {
  switch (c) {
    case abi::XcodeCodecId::Pcmu:
    case abi::XcodeCodecId::Pcma: return 8000;
    case abi::XcodeCodecId::G722: return 16000;
    case abi::XcodeCodecId::Opus: return 48000;
    case abi::XcodeCodecId::None: break;
  }
  return 0;
}

}  // namespace rampart::xc
