#pragma once
// RTCP terminated per transcoded leg (RFC 3550). Rampart is the RTP end point on each leg of a
// transcoded call, so it reports on each leg itself instead of relaying the other leg's reports
// (which describe a stream that leg never sees). One leg's report joins two sessions: the one
// sending toward the leg (sender info: Rampart's SSRC, NTP/RTP time, packet and octet counts)
// and the one receiving from it (report block: loss, jitter, LSR/DLSR). The engine pairs them
// (engine_rtcp.cc); this file holds the per-stream state, the maths and the wire format.
// Incoming RTCP is untrusted: every length is checked.
#include <cstddef>
#include <cstdint>

namespace rampart::xc {

/// Wall clock as an NTP timestamp (RFC 3550 4: seconds since 1900, 32.32 fixed point).
uint64_t ntpNow();
/// CLOCK_MONOTONIC in ns: intervals and arrival times never jump with the wall clock.
uint64_t monoNs();
/// The middle 32 bits of an NTP timestamp (16.16 s), as LSR and round trips use it.
inline uint32_t ntpMiddle(uint64_t ntp) { return static_cast<uint32_t>(ntp >> 16); }

// RFC 3550 A.1 (sequence), A.3 (loss) and A.8 (jitter) statistics of the stream Rampart
// receives from a leg, and the last SR that peer sent (for the block's LSR/DLSR).
struct RtcpReceiver {
  bool have = false;
  uint32_t ssrc = 0;
  uint16_t max_seq = 0;
  uint32_t cycles = 0;  // sequence wraps * 65536
  uint32_t base_seq = 0;
  uint32_t bad_seq = 0;
  uint32_t received = 0;
  uint32_t expected_prior = 0;
  uint32_t received_prior = 0;
  int32_t transit = 0;
  uint32_t jitter_q4 = 0;  // interarrival jitter * 16, in the stream's RTP clock units
  uint32_t lsr = 0;        // middle 32 bits of the NTP time of the peer's last SR; 0: none yet
  uint64_t lsr_at_ns = 0;  // when that SR arrived (monotonic)

  /// One valid RTP packet; `arrival` is its arrival time in the stream's RTP clock units.
  void onRtp(uint16_t seq, uint32_t ts, uint32_t ssrc, uint32_t arrival);
};

// The stream Rampart sends on a leg.
struct RtcpSender {
  uint32_t ssrc = 0;
  uint32_t clock_rate = 8000;
  uint32_t packets = 0;
  uint32_t octets = 0;       // payload octets (RFC 3550 6.4.1)
  uint32_t last_ts = 0;      // RTP timestamp of the last audio packet sent ...
  uint64_t last_ns = 0;      // ... and when (monotonic); 0: none yet
  uint64_t rtt_samples = 0;  // round trips measured from the peer's report blocks
  uint32_t rtt_q16 = 0;      // the last one, in 1/65536 s

  void onSent(uint32_t ts, std::size_t payload_len, bool audio, uint64_t now_ns);
  /// The RTP timestamp that corresponds to `now_ns` (the SR's NTP time).
  uint32_t rtpTsAt(uint64_t now_ns) const;
};

// One report block (RFC 3550 6.4.1).
struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;    // 8-bit fixed point, since the previous report
  int32_t cumulative_lost = 0;  // 24-bit signed on the wire (clamped)
  uint32_t ext_max_seq = 0;
  uint32_t jitter = 0;
  uint32_t lsr = 0;
  uint32_t dlsr = 0;  // 1/65536 s since that SR arrived
};

/// The block about `r` at `now_ns`; advances the A.3 interval (expected/received prior).
ReportBlock makeReportBlock(RtcpReceiver& r, uint64_t now_ns);

/// RFC 3550 6.4.1: round trip = A - LSR - DLSR, all in 1/65536 s (`arrival` = A, the middle
/// 32 bits of our NTP time when the block arrived). @return false when the block carries no
/// LSR or the figures are inconsistent (a negative round trip).
bool roundTrip(uint32_t arrival, uint32_t lsr, uint32_t dlsr, uint32_t* rtt_q16);

// What an incoming compound packet says that matters to Rampart.
struct RtcpIn {
  bool sr = false;  // an SR: its sender info gives the next block's LSR
  uint32_t sender_ssrc = 0;
  uint32_t sr_ntp_mid = 0;
  bool block = false;  // a report block about the SSRC asked for
  ReportBlock about;
};

/// Parses a compound RTCP packet, RFC 3550 A.2 validity: version 2 throughout, SR or RR first,
/// padding only in the last packet, lengths adding up to `len` exactly. Looks for the report
/// block about `ssrc`. @return false when invalid (a counted drop).
bool parseRtcp(const uint8_t* p, std::size_t len, uint32_t ssrc, RtcpIn* out);

/// Writes Rampart's compound report for a leg: SR (RR while nothing was sent yet) with `rb`
/// when not null, then SDES CNAME. @return bytes written, 0 when `cap` is too small.
std::size_t writeReport(uint8_t* out, std::size_t cap, const RtcpSender& tx, const ReportBlock* rb,
                        uint64_t ntp, uint64_t now_ns);

/// Appends an RTCP BYE for `ssrc` (RFC 3550 6.6, no reason) to a compound `writeReport` made.
/// @return bytes written (8), 0 when `cap` is too small.
std::size_t writeBye(uint8_t* out, std::size_t cap, uint32_t ssrc);

// The RTCP side of one transcoded session (owned by XcodeSession, driven by the engine).
struct RtcpState {
  RtcpReceiver rx;              // the stream this session receives (from its `from` leg)
  RtcpSender tx;                // the stream it sends (on its out leg)
  uint32_t rx_clock = 8000;     // rx's RTP clock rate
  uint64_t reverse = 0;         // flow of the session receiving from this one's out leg
  uint64_t next_report_ns = 0;  // 0: no media yet, nothing scheduled
  uint32_t rand = 1;            // xorshift state for the randomised interval
  uint64_t reports = 0;         // reports sent on the out leg (a BYE needs RTP or RTCP sent)

  void init(uint32_t out_ssrc, uint32_t out_clock, uint32_t in_clock);
  void received(uint16_t seq, uint32_t ts, uint32_t ssrc);  // reads the clock
  void sent(uint32_t ts, std::size_t payload_len, bool audio);
  /// RFC 3550 6.2/6.3.1: the next report after `now_ns`, `base_ms` * U(0.5, 1.5).
  void schedule(uint64_t now_ns, uint32_t base_ms);
};

inline constexpr uint32_t kRtcpIntervalMs = 5000;  // RFC 3550 6.2 minimum
inline constexpr uint32_t kRtcpFirstMs = 1000;     // the first report, soon after media starts

}  // namespace rampart::xc
