// G.711 (mu-law, A-law) and G.722 through FFmpeg's libavcodec. Contexts, packet and frame are
// allocated once per direction; per packet only send/receive run.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
}

#include <cstring>

#include "codec.h"
#include "plc.h"

namespace rampart::xc {
namespace {

AVCodecID avId(abi::XcodeCodecId c) {
  switch (c) {
    case abi::XcodeCodecId::Pcmu: return AV_CODEC_ID_PCM_MULAW;
    case abi::XcodeCodecId::Pcma: return AV_CODEC_ID_PCM_ALAW;
    case abi::XcodeCodecId::G722: return AV_CODEC_ID_ADPCM_G722;
    default: return AV_CODEC_ID_NONE;
  }
}

// Owns one opened codec context with its packet and frame.
struct AvState {
  AVCodecContext* ctx = nullptr;
  AVPacket* pkt = nullptr;
  AVFrame* frame = nullptr;
  AvState() = default;
  AvState(const AvState&) = delete;
  AvState& operator=(const AvState&) = delete;
  ~AvState() {
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
  }
};

Result<bool> openAv(AvState& s, const AVCodec* codec, int rate, int frame_size) {
  if (codec == nullptr) {
    return Error{ErrorCode::Unsupported, "libavcodec: codec not built in"};
  }
  s.ctx = avcodec_alloc_context3(codec);
  s.pkt = av_packet_alloc();
  s.frame = av_frame_alloc();
  if (s.ctx == nullptr || s.pkt == nullptr || s.frame == nullptr) {
    return Error{ErrorCode::Internal, "libavcodec: out of memory"};
  }
  s.ctx->sample_rate = rate;
  s.ctx->sample_fmt = AV_SAMPLE_FMT_S16;
  av_channel_layout_default(&s.ctx->ch_layout, 1);
  if (frame_size > 0) {
    s.ctx->frame_size = frame_size;
  }
  int rc = avcodec_open2(s.ctx, codec, nullptr);
  if (rc < 0) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(rc, buf, sizeof buf);
    return Error{ErrorCode::Internal, std::string("avcodec_open2: ") + buf};
  }
  return true;
}

class AvDec final : public Decoder {
 public:
  explicit AvDec(int rate) : rate_(rate), plc_(rate) {}
  AvState s;

  int decode(const uint8_t* payload, std::size_t len, int16_t* pcm) override {
    // G.711 is a byte per sample, G.722 4 bits per 16 kHz sample: bound both to 120 ms.
    if (len == 0 || len > static_cast<std::size_t>(kMaxFrameSamples / 2)) {
      return -1;
    }
    s.pkt->data = const_cast<uint8_t*>(payload);  // read only; libavcodec copies unowned data
    s.pkt->size = static_cast<int>(len);
    if (avcodec_send_packet(s.ctx, s.pkt) < 0) {
      return -1;
    }
    int total = 0;
    while (avcodec_receive_frame(s.ctx, s.frame) == 0) {
      int n = s.frame->nb_samples;
      if (s.frame->format == AV_SAMPLE_FMT_S16 && total + n <= kMaxFrameSamples) {
        std::memcpy(pcm + total, s.frame->data[0], static_cast<std::size_t>(n) * 2);
        total += n;
      }
      av_frame_unref(s.frame);
    }
    s.pkt->data = nullptr;
    s.pkt->size = 0;
    plc_.onGood(pcm, total);
    return total;
  }
  // libavcodec has no PLC for these codecs: our own (plc.h) repeats the last pitch period.
  int conceal(int samples, int16_t* pcm) override {
    samples = samples > kMaxFrameSamples ? kMaxFrameSamples : samples;
    return plc_.conceal(pcm, samples);
  }
  int rate() const override { return rate_; }

 private:
  int rate_;
  Plc plc_;
};

class AvEnc final : public Encoder {
 public:
  AvEnc(int rate, int frame) : rate_(rate), frame_(frame) {}
  AvState s;

  Result<bool> prepareFrame() {
    s.frame->nb_samples = frame_;
    s.frame->format = AV_SAMPLE_FMT_S16;
    s.frame->sample_rate = rate_;
    av_channel_layout_default(&s.frame->ch_layout, 1);
    if (av_frame_get_buffer(s.frame, 0) < 0) {
      return Error{ErrorCode::Internal, "av_frame_get_buffer failed"};
    }
    return true;
  }
  int encode(const int16_t* pcm, uint8_t* out, std::size_t cap) override {
    if (av_frame_make_writable(s.frame) < 0) {
      return -1;
    }
    std::memcpy(s.frame->data[0], pcm, static_cast<std::size_t>(frame_) * 2);
    s.frame->pts = pts_;
    pts_ += frame_;
    if (avcodec_send_frame(s.ctx, s.frame) < 0) {
      return -1;
    }
    int total = 0;
    while (avcodec_receive_packet(s.ctx, s.pkt) == 0) {
      if (total + s.pkt->size <= static_cast<int>(cap)) {
        std::memcpy(out + total, s.pkt->data, static_cast<std::size_t>(s.pkt->size));
        total += s.pkt->size;
      }
      av_packet_unref(s.pkt);
    }
    return total;
  }
  int rate() const override { return rate_; }
  int frameSamples() const override { return frame_; }

 private:
  int rate_;
  int frame_;
  int64_t pts_ = 0;
};

}  // namespace

Result<std::unique_ptr<Decoder>> makeAvDecoder(abi::XcodeCodecId c) {
  int rate = nativeRate(c);
  auto d = std::make_unique<AvDec>(rate);
  auto ok = openAv(d->s, avcodec_find_decoder(avId(c)), rate, 0);
  if (!ok) {
    return ok.error();
  }
  return std::unique_ptr<Decoder>(std::move(d));
}

Result<std::unique_ptr<Encoder>> makeAvEncoder(abi::XcodeCodecId c, int ptime_ms) {
  int rate = nativeRate(c);
  int frame = rate * ptime_ms / 1000;
  auto e = std::make_unique<AvEnc>(rate, frame);
  auto ok = openAv(e->s, avcodec_find_encoder(avId(c)), rate, frame);
  if (!ok) {
    return ok.error();
  }
  auto fr = e->prepareFrame();
  if (!fr) {
    return fr.error();
  }
  return std::unique_ptr<Encoder>(std::move(e));
}

}  // namespace rampart::xc
