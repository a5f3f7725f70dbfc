#pragma once
// One transcoded direction: RTP of the `from` codec in, RTP of the `to` codec out, with its own
// SSRC, sequence numbers and timestamps. Everything (codec contexts, resampler, sample FIFO,
// output packets) is allocated by create(), at programming time; onRtp() allocates nothing of
// its own.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <rampart/platform/abi.h>
#include <rampart/platform/result.h>

#include "codec.h"
#include "dtmf_detect.h"
#include "resampler.h"
#include "rtp_packet.h"
#include "xcode_dtmf.h"
#include "xcode_rtcp.h"

namespace rampart::xc {

struct SessionStats {
  uint64_t in_packets = 0;
  uint64_t out_packets = 0;
  uint64_t bad_packets = 0;    // not RTP, or a payload the decoder refused
  uint64_t wrong_pt = 0;       // a payload type the setup does not name
  uint64_t late = 0;           // duplicate or older than the last played
  uint64_t plc_frames = 0;     // lost frames concealed
  uint64_t fec_frames = 0;     // lost frames recovered from in-band FEC
  uint64_t dtmf_events = 0;    // telephone-events mapped to the other leg
  uint64_t dtmf_inband = 0;    // in-band tones detected and sent as telephone-events
  uint64_t dtmf_injected = 0;  // digits from SIP INFO sent as telephone-events
  uint64_t decode_ns = 0;      // CPU time in onRtp
};

struct OutPacket {
  uint16_t len;
  uint8_t data[1500];
};
inline constexpr int kMaxOut = 8;

class XcodeSession {
 public:
  static Result<std::unique_ptr<XcodeSession>> create(const abi::XcodeSetup& setup);

  /// Feeds one plain RTP packet. @return how many packets out(i) now holds to send.
  int onRtp(const uint8_t* pkt, std::size_t len);
  /// A digit the control plane received as SIP INFO: the event starts now (out(i)), its
  /// updates go with the following audio frames, its end packets once `duration_ms` of the
  /// output timeline has passed. @return packets in out(i), or -1 when the output leg
  /// negotiated no telephone-event.
  int injectDtmf(uint8_t event, uint8_t volume, uint16_t duration_ms);
  /// The other leg hears DTMF as SIP INFO (DtmfReport.inband): digits detected in-band on a
  /// G.711 input are handed over by takeTone() instead of being sent as events.
  void reportTones(bool on) { report_tones_ = on; }
  /// A digit that ended during the last onRtp(), when reporting. @return false: none.
  bool takeTone(abi::XcTone* out);
  const OutPacket& out(int i) const { return out_[i]; }
  const SessionStats& stats() const { return stats_; }
  const abi::XcodeSetup& setup() const { return setup_; }
  /// RTCP statistics of the stream received and the stream sent (xcode_rtcp.h).
  RtcpState& rtcp() { return rtcp_; }

 private:
  XcodeSession() = default;
  bool acceptSeq(const RtpView& v, int* lost);
  void conceal(int lost, const RtpView& v);
  void pushPcm(const int16_t* pcm, int n);
  void detectTones(const int16_t* pcm, int n);
  void emitTone(bool marker, bool end);
  void emitEvent(bool marker, bool end, uint8_t event, uint8_t volume, uint32_t ts, uint32_t dur);
  void advanceInjected();
  void finishInjected();
  void emit(bool marker, uint8_t pt, uint32_t ts, const uint8_t* payload, std::size_t len);

  abi::XcodeSetup setup_{};
  std::unique_ptr<Decoder> dec_;
  std::unique_ptr<Encoder> enc_;
  Resampler rs_;
  bool resample_ = false;
  std::vector<int16_t> pcm_;   // one decoded frame
  std::vector<int16_t> conv_;  // the same after resampling
  std::vector<int16_t> fifo_;  // samples waiting for a whole output frame
  std::size_t fifo_n_ = 0;
  std::vector<uint8_t> enc_buf_;
  DtmfMapper dtmf_;
  // In-band tones of a G.711 input, sent as events when the other leg negotiated them, or
  // reported (report_tones_); off once the input sends events of its own (no digit twice).
  bool inband_ = false;
  bool report_tones_ = false;
  bool tone_ready_ = false;
  abi::XcTone tone_out_{};
  DtmfDetector tones_;
  uint32_t tone_ts_ = 0;   // the event's RTP timestamp (its onset, output clock)
  uint32_t tone_dur_ = 0;  // output clock units
  int last_tone_ = 0;      // the digit of the end packets (the detector has let it go)
  struct Injected {
    bool active = false;
    uint8_t event = 0;
    uint8_t volume = 0;
    uint32_t ts = 0;     // output clock
    uint32_t dur = 0;    // sent so far
    uint32_t total = 0;  // asked for
  } injected_;

  bool have_seq_ = false;
  uint16_t next_seq_ = 0;
  uint32_t in_ssrc_ = 0;
  int last_frame_ = 0;  // samples (decoder rate) of the last decoded frame
  uint16_t out_seq_ = 0;
  uint32_t out_ts_ = 0;
  uint32_t ts_per_frame_ = 0;
  bool marker_next_ = true;
  OutPacket out_[kMaxOut]{};
  int n_out_ = 0;
  SessionStats stats_;
  RtcpState rtcp_;
};

}  // namespace rampart::xc
