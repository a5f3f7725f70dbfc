#pragma once
// A leg's RTCP round trip (RFC 3550 section 6.4.1) from the two directions' FlowInfo: the
// report blocks its party sent (rtcp_rr_* on the flows receiving from it) quoting the sender
// reports Rampart forwarded to it (rtcp_sr_* on the flows sending toward it, i.e. receiving
// from the other leg). docs/ARCHITECTURE.md "RTCP round trip" says why it is measured so.
#include <cstdint>
#include <optional>
#include <vector>

#include <rampart/platform/abi.h>

namespace rampart::cp {

struct RttFlow {
  uint8_t from = 0;                     // the leg the flow receives from (0: A)
  const abi::FlowInfo* info = nullptr;  // null: the dataplane did not answer
};

/// Round trip in ms between Rampart and the party of `leg`, or nullopt when no report block
/// of that party quotes an SR Rampart still remembers forwarding (no RTCP, no SR from the other
/// side, or not yet). With several streams, the largest.
std::optional<double> legRttMs(uint8_t leg, const std::vector<RttFlow>& flows);

}  // namespace rampart::cp
