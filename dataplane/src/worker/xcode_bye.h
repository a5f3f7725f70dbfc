#pragma once
// The last RTCP of a transcoded flow (RFC 3550 6.6 BYE). The transcoder answers a teardown
// with its last report and a BYE for its SSRC (abi::kPacketXcBye). When the teardown came from
// a FlowDel the flow is erased by the time that packet comes back, so the worker keeps the
// flow's out action (egress tuple, next-hop reference, outbound SRTP context for SRTCP) in a
// small table until the packet arrives or kXcByeWaitNs pass, then wipes it. A teardown that
// finds the table full sends no BYE (the packet is the counted xcode_refused).
#include <cstdint>

#include <rampart/platform/abi.h>

#include "flow/flow_entry.h"

namespace rampart::dp {

struct LcoreCtx;

inline constexpr uint32_t kXcByeSlots = 16;
inline constexpr uint64_t kXcByeWaitNs = 1000000000;  // a live transcoder answers in microseconds

struct XcByeSlot {
  uint64_t handle = 0;  // 0: free
  uint64_t until_ns = 0;
  bool owned = false;  // `egress` holds the erased flow's out action; false: the flow lives on
  FlowEntry egress{};
};

struct XcByeTable {
  XcByeSlot slots[kXcByeSlots];
};

// A teardown of `handle` went to the transcoder: accept one kPacketXcBye for it. `leaving` is
// the flow about to be erased (its out action and next-hop reference move here, its inbound
// keys are wiped now) or nullptr when the flow stays, back to relaying.
void xcByeExpect(LcoreCtx& ctx, uint64_t handle, FlowEntry* leaving);

// A kPacketXcBye slot from the transcoder (header already checked): sent through the kept
// out action, or the live flow's. @return false when no teardown of that flow awaits one.
bool xcByeSend(LcoreCtx& ctx, const abi::PacketSlot& h, const uint8_t* pkt);

// Every idle scan: frees what waited longer than kXcByeWaitNs (keys wiped).
void xcByeExpire(LcoreCtx& ctx);

// Worker shutdown: frees every slot.
void xcByeFini(LcoreCtx& ctx);

}  // namespace rampart::dp
