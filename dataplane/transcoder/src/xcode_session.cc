#include "xcode_session.h"

#include <time.h>

#include <algorithm>
#include <cstring>

namespace rampart::xc {
namespace {

using abi::XcodeCodecId;

constexpr int kMaxConcealedFrames = 10;  // a longer gap is a resync, not loss to conceal
constexpr int kMaxMisorder = 100;        // further back than this is a restarted sequence

bool validCodec(const abi::XcodeCodec& c) {
  return c.codec != XcodeCodecId::None && static_cast<uint8_t>(c.codec) <= 4 &&
         c.payload_type < 128 && c.clock_rate != 0 && c.clock_rate <= 48000;
}

uint64_t cpuNs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

// Opus decodes straight to the other side's rate (libopus resamples internally), and encodes
// from the rate the other side decodes at, so Opus <-> G.711/G.722 needs no extra resampler.
Result<std::unique_ptr<Decoder>> makeDecoder(const abi::XcodeSetup& s) {
  if (s.from.codec == XcodeCodecId::Opus) {
    int r = s.to.codec == XcodeCodecId::Opus ? 48000 : nativeRate(s.to.codec);
    return makeOpusDecoder(r);
  }
  return makeAvDecoder(s.from.codec);
}

Result<std::unique_ptr<Encoder>> makeEncoder(const abi::XcodeSetup& s, int dec_rate) {
  int ptime = s.to.ptime_ms == 0 ? 20 : s.to.ptime_ms;
  if (s.to.codec == XcodeCodecId::Opus) {
    abi::XcodeCodec c = s.to;
    c.ptime_ms = static_cast<uint8_t>(ptime);
    return makeOpusEncoder(dec_rate, c);
  }
  if (ptime != 10 && ptime != 20 && ptime != 30 && ptime != 40) {
    return Error{ErrorCode::InvalidArgument, "ptime must be 10, 20, 30 or 40 ms"};
  }
  return makeAvEncoder(s.to.codec, ptime);
}

}  // namespace

Result<std::unique_ptr<XcodeSession>> XcodeSession::create(const abi::XcodeSetup& setup) {
  if (!validCodec(setup.from) || !validCodec(setup.to)) {
    return Error{ErrorCode::InvalidArgument, "transcoder setup: bad codec, PT or clock rate"};
  }
  std::unique_ptr<XcodeSession> s(new XcodeSession());
  s->setup_ = setup;
  auto dec = makeDecoder(setup);
  if (!dec) {
    return dec.error();
  }
  s->dec_ = std::move(dec.value());
  auto enc = makeEncoder(setup, s->dec_->rate());
  if (!enc) {
    return enc.error();
  }
  s->enc_ = std::move(enc.value());
  if (s->dec_->rate() != s->enc_->rate()) {
    auto rs = Resampler::create(s->dec_->rate(), s->enc_->rate());
    if (!rs) {
      return rs.error();
    }
    s->rs_ = std::move(rs.value());
    s->resample_ = true;
  }
  s->pcm_.resize(kMaxFrameSamples);
  s->conv_.resize(kMaxFrameSamples * 6 + 64);
  s->fifo_.resize(s->conv_.size() + static_cast<std::size_t>(s->enc_->frameSamples()));
  s->enc_buf_.resize(1400);
  int ptime = s->enc_->frameSamples() * 1000 / s->enc_->rate();
  s->ts_per_frame_ = setup.to.clock_rate * static_cast<uint32_t>(ptime) / 1000;
  s->dtmf_.configure(setup.from.clock_rate, setup.to.clock_rate);
  s->inband_ = s->dec_->rate() == kDtmfRate &&
               (setup.from.codec == XcodeCodecId::Pcmu || setup.from.codec == XcodeCodecId::Pcma);
  s->out_seq_ = static_cast<uint16_t>(setup.out_ssrc * 2654435761u >> 16);
  s->out_ts_ = setup.out_ssrc * 40503u;
  return s;
}

// Sequence tracking: `*lost` packets are missing before this one. @return false for a
// duplicate or late packet (already concealed or played).
bool XcodeSession::acceptSeq(const RtpView& v, int* lost) {
  *lost = 0;
  if (!have_seq_ || v.ssrc != in_ssrc_) {
    have_seq_ = true;
    in_ssrc_ = v.ssrc;
  } else {
    auto delta = static_cast<uint16_t>(v.seq - next_seq_);
    if (delta >= 0x8000 && 0x10000 - delta <= kMaxMisorder) {
      ++stats_.late;
      return false;
    }
    if (delta >= 0x8000) {
      delta = 0;  // far behind: the sender restarted its sequence (RFC 3550 A.1); resync
    }
    *lost = delta <= kMaxConcealedFrames ? delta : 0;
  }
  next_seq_ = static_cast<uint16_t>(v.seq + 1);
  return true;
}

// Lost frames: PLC, except the last one when this packet carries its in-band FEC.
void XcodeSession::conceal(int lost, const RtpView& v) {
  int frame = last_frame_ > 0 ? last_frame_ : dec_->rate() / 50;
  for (int i = 0; i < lost; ++i) {
    int n = 0;
    if (i == lost - 1 && (setup_.from.opus_flags & abi::kXcOpusFec) != 0) {
      n = dec_->recoverFec(v.payload, v.payload_len, frame, pcm_.data());
      stats_.fec_frames += n > 0 ? 1 : 0;
    }
    if (n == 0) {
      n = dec_->conceal(frame, pcm_.data());
      ++stats_.plc_frames;
    }
    pushPcm(pcm_.data(), n);
  }
}

int XcodeSession::onRtp(const uint8_t* pkt, std::size_t len) {
  uint64_t t0 = cpuNs();
  n_out_ = 0;
  ++stats_.in_packets;
  RtpView v{};
  int lost = 0;
  if (!parseRtp(pkt, len, &v)) {
    ++stats_.bad_packets;
  } else if (v.pt != setup_.from.payload_type &&
             (setup_.from.dtmf_pt == 0 || v.pt != setup_.from.dtmf_pt)) {
    ++stats_.wrong_pt;
  } else if (acceptSeq(v, &lost)) {
    if (v.pt == setup_.from.payload_type) {
      conceal(lost, v);
      int n = dec_->decode(v.payload, v.payload_len, pcm_.data());
      if (n < 0) {
        ++stats_.bad_packets;
      } else {
        last_frame_ = n > 0 ? n : last_frame_;
        pushPcm(pcm_.data(), n);
        detectTones(pcm_.data(), n);
      }
    } else if (setup_.to.dtmf_pt != 0) {
      inband_ = false;
      uint8_t ev[4];
      uint32_t ts = 0;
      bool fresh = false;
      if (dtmf_.map(v.payload, v.payload_len, v.ts, out_ts_, ev, &ts, &fresh)) {
        stats_.dtmf_events += fresh ? 1 : 0;
        emit(fresh, setup_.to.dtmf_pt, ts, ev, sizeof ev);
      }
    }
  }
  stats_.out_packets += static_cast<uint64_t>(n_out_);
  stats_.decode_ns += cpuNs() - t0;
  return n_out_;
}

// Decoded samples -> (resampler) -> FIFO -> as many output frames as it holds.
void XcodeSession::pushPcm(const int16_t* pcm, int n) {
  if (n <= 0) {
    return;
  }
  const int16_t* src = pcm;
  if (resample_) {
    n = rs_.convert(pcm, n, conv_.data(), static_cast<int>(conv_.size()));
    src = conv_.data();
  }
  auto room = fifo_.size() - fifo_n_;
  auto take = static_cast<std::size_t>(n) < room ? static_cast<std::size_t>(n) : room;
  std::memcpy(fifo_.data() + fifo_n_, src, take * 2);
  fifo_n_ += take;
  auto frame = static_cast<std::size_t>(enc_->frameSamples());
  while (fifo_n_ >= frame && n_out_ < kMaxOut) {
    int bytes = enc_->encode(fifo_.data(), enc_buf_.data(), enc_buf_.size());
    std::memmove(fifo_.data(), fifo_.data() + frame, (fifo_n_ - frame) * 2);
    fifo_n_ -= frame;
    if (bytes > 0) {
      emit(marker_next_, setup_.to.payload_type, out_ts_, enc_buf_.data(),
           static_cast<std::size_t>(bytes));
      marker_next_ = false;
    }
    out_ts_ += ts_per_frame_;  // the timeline advances even for a frame the encoder dropped
    advanceInjected();
  }
}

// Tones found in the decoded audio become RFC 4733 events on the output: the start (marker
// set, back-dated to the tone's onset), an update per packet while it lasts, and three end
// packets (E bit) as RFC 4733 2.5.1.4 asks.
void XcodeSession::detectTones(const int16_t* pcm, int n) {
  if (!inband_ || (setup_.to.dtmf_pt == 0 && !report_tones_)) {
    return;
  }
  const uint32_t per_block = setup_.to.clock_rate * kDtmfBlock / kDtmfRate;
  bool started = false;
  for (int i = 0; i < n; ++i) {
    auto change = tones_.feed(pcm[i]);
    if (change == DtmfDetector::Change::Started) {
      tone_dur_ = tones_.blocks() * per_block;
      tone_ts_ = out_ts_ - tone_dur_;
      ++stats_.dtmf_inband;
      emitTone(true, false);
      started = true;
    } else if (change == DtmfDetector::Change::Ended) {
      for (int k = 0; k < 3; ++k) {
        emitTone(false, true);
      }
    }
  }
  if (!started && tones_.digit() >= 0) {
    tone_dur_ = tones_.blocks() * per_block;
    emitTone(false, false);
  }
}

void XcodeSession::emitTone(bool marker, bool end) {
  if (tones_.digit() >= 0) {
    last_tone_ = tones_.digit();
  }
  if (report_tones_) {  // the other leg hears it as SIP INFO: reported once, at its end
    if (end && !tone_ready_) {
      tone_out_ = {tone_ts_, setup_.to.clock_rate,
                   static_cast<uint16_t>(std::min<uint32_t>(tone_dur_, 0xffff)),
                   static_cast<uint8_t>(last_tone_), tones_.volume()};
      tone_ready_ = true;
    }
    return;
  }
  emitEvent(marker, end, static_cast<uint8_t>(last_tone_), tones_.volume(), tone_ts_, tone_dur_);
}

bool XcodeSession::takeTone(abi::XcTone* out) {
  if (!tone_ready_) {
    return false;
  }
  *out = tone_out_;
  tone_ready_ = false;
  return true;
}

int XcodeSession::injectDtmf(uint8_t event, uint8_t volume, uint16_t duration_ms) {
  n_out_ = 0;
  if (setup_.to.dtmf_pt == 0) {
    return -1;
  }
  if (injected_.active) {
    finishInjected();  // a new digit ends the one still playing
  }
  injected_ = {true, event, volume, out_ts_, 0, setup_.to.clock_rate / 1000u * duration_ms};
  emitEvent(true, false, event, volume, out_ts_, 0);
  ++stats_.dtmf_injected;
  stats_.out_packets += static_cast<uint64_t>(n_out_);
  return n_out_;
}

// Called after each audio frame sent: the injected event grows by one frame, or ends.
void XcodeSession::advanceInjected() {
  if (!injected_.active) {
    return;
  }
  injected_.dur += ts_per_frame_;
  if (injected_.dur >= injected_.total) {
    finishInjected();
  } else {
    emitEvent(false, false, injected_.event, injected_.volume, injected_.ts, injected_.dur);
  }
}

void XcodeSession::finishInjected() {
  uint32_t d = injected_.dur < injected_.total ? injected_.dur : injected_.total;
  for (int k = 0; k < 3; ++k) {
    emitEvent(false, true, injected_.event, injected_.volume, injected_.ts, d);
  }
  injected_.active = false;
}

void XcodeSession::emitEvent(bool marker, bool end, uint8_t event, uint8_t volume, uint32_t ts,
                             uint32_t dur) {
  dur = dur < 0xffff ? dur : 0xffff;  // longer events: the longest one
  uint8_t ev[4] = {event, static_cast<uint8_t>((end ? 0x80 : 0) | (volume & 0x3f)),
                   static_cast<uint8_t>(dur >> 8), static_cast<uint8_t>(dur)};
  emit(marker, setup_.to.dtmf_pt, ts, ev, sizeof ev);
}

void XcodeSession::emit(bool marker, uint8_t pt, uint32_t ts, const uint8_t* payload,
                        std::size_t len) {
  if (n_out_ >= kMaxOut || len + 12 > sizeof(out_[0].data)) {
    return;
  }
  OutPacket& o = out_[n_out_++];
  std::size_t h = writeRtpHeader(o.data, marker, pt, out_seq_++, ts, setup_.out_ssrc);
  std::memcpy(o.data + h, payload, len);
  o.len = static_cast<uint16_t>(h + len);
}

}  // namespace rampart::xc
