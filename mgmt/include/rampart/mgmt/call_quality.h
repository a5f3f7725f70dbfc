#pragma once
// Estimated call quality from what the dataplane measures on each stream: packets, RTP
// sequence gaps (loss) and RFC 3550 interarrival jitter, so it is right for peers that send no
// RTCP too. The MOS is the ITU-T G.107 E-model's, with these documented simplifications
// (docs/ARCHITECTURE.md, "Call quality"):
//   - R0 - Is = 93.2 (default room noise, circuit noise and quantisation), A = 0;
//   - Ie and Bpl per codec from ITU-T G.113 Appendix I (G.711 with PLC: 0 / 25.1; G.729: 11 /
//     19; G.722 and Opus are rated on the narrowband scale as 0 / 25.1 — no published NB
//     value); loss taken as random (BurstR = 1);
//   - mouth-to-ear delay Ta = half the round trip when RTCP gave one, else 0, plus a jitter
//     buffer of twice the measured jitter and one 20 ms packet; Id from the simplified
//     Cole-Rosenbluth form 0.024*Ta + 0.11*(Ta-177.3)*H(Ta-177.3); echo (Idte) ignored.
#include <cstdint>
#include <optional>
#include <string>

namespace rampart::mgmt {

struct StreamCounters {
  uint64_t packets = 0;          // received
  uint64_t lost = 0;             // RTP sequence gaps
  double jitter_ms = 0;          // RFC 3550 interarrival jitter
  std::optional<double> rtt_ms;  // from RTCP, when known
};

struct StreamQuality {
  double loss_ratio = 0;  // lost / (received + lost)
  double jitter_ms = 0;
  double r_factor = 0;
  double mos = 1;
};

/// E-model estimate for a stream coded with `codec` (rtpmap encoding name, any case).
StreamQuality estimateQuality(const StreamCounters& c, const std::string& codec);
/// G.107 Annex B: MOS from an R factor (1 below 0, 4.5 above 100).
double mosFromR(double r);

}  // namespace rampart::mgmt
