#include "records/rtcp_rtt.h"

#include <algorithm>

namespace rampart::cp {
namespace {

// A report older than this, or a pairing giving more, is not a round trip worth reporting.
constexpr int64_t kMaxRttUs = 10'000'000;
// DLSR has 1/65536 s resolution and both times are truncated: a near-zero round trip may come
// out a few microseconds below zero.
constexpr int64_t kSlackUs = 1'000;

std::optional<double> pairRtt(const abi::FlowInfo& rr, const abi::FlowInfo& sr) {
  for (uint32_t i = 0; i < abi::kRtcpSrSlots; ++i) {
    if (sr.rtcp_sr_mid[i] != rr.rtcp_rr_lsr) {
      continue;
    }
    // Microseconds modulo 2^32: the difference as a signed 32-bit value.
    auto d = static_cast<int64_t>(static_cast<int32_t>(rr.rtcp_rr_at_us - sr.rtcp_sr_at_us[i]));
    if (d < -kSlackUs || d > kMaxRttUs) {
      return std::nullopt;
    }
    return static_cast<double>(std::max<int64_t>(d, 0)) / 1000.0;
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> legRttMs(uint8_t leg, const std::vector<RttFlow>& flows) {
  std::optional<double> best;
  for (const RttFlow& rr : flows) {
    if (rr.from != leg || rr.info == nullptr || rr.info->rtcp_rr_lsr == 0) {
      continue;
    }
    for (const RttFlow& sr : flows) {
      if (sr.from == leg || sr.info == nullptr) {
        continue;
      }
      std::optional<double> rtt = pairRtt(*rr.info, *sr.info);
      if (rtt && (!best || *rtt > *best)) {
        best = rtt;
      }
    }
  }
  return best;
}

}  // namespace rampart::cp
