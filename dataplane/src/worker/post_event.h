#pragma once
// Events a worker posts to the control plane on its event ring. The worker never waits: when
// the ring is full the event is lost and counted (events_lost).
#include <cstdint>

#include <rampart/platform/abi.h>

#include "worker/lcore_ctx.h"

namespace rampart::dp {

// An event about flow `index` with its header (type, size, flow handle) and the flow's cookie
// filled in; the caller sets the rest.
template <typename Event>
Event flowEvent(const LcoreCtx& ctx, abi::MsgType type, const FlowEntry& f, uint32_t index) {
  Event ev{};
  ev.hdr.type = type;
  ev.hdr.size = sizeof(ev);
  ev.hdr.flow = ctx.flows.handleOf(index);
  ev.cookie = f.cookie;
  return ev;
}

// Posts one message. @return false when the ring was full (counted in events_lost).
template <typename Msg>
bool postEvent(LcoreCtx& ctx, const Msg& msg) {
  if (ctx.evt.enqueue(&msg, sizeof(msg))) {
    return true;
  }
  bump(ctx.stats->events_lost);
  return false;
}

}  // namespace rampart::dp
