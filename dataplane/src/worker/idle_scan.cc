#include "worker/idle_scan.h"

#include "ice/stun_stage.h"
#include "worker/post_event.h"

namespace rampart::dp {
namespace {

constexpr uint32_t kIdleScanPerCall = 2048;

}  // namespace

void scanIdle(LcoreCtx& ctx) {
  uint64_t now_ns = ctx.now_ns;
  uint32_t cap = ctx.flows.capacity();
  for (uint32_t k = 0; k < kIdleScanPerCall && k < cap; ++k) {
    uint32_t i = ctx.idle_cursor;
    ctx.idle_cursor = i + 1 >= cap ? 0 : i + 1;
    FlowEntry& f = ctx.flows.at(i);
    if (!f.in_use) {
      continue;
    }
    if (!checkConsent(ctx, i)) {
      ctx.idle_cursor = i;  // the event ring is full: retry this flow on the next scan
      return;
    }
    if (f.idle_reported || f.idle_timeout_s == 0) {
      continue;
    }
    uint64_t last = ctx.flow_stats[i].last_seen_ns;
    if (now_ns > last && now_ns - last >= uint64_t{f.idle_timeout_s} * 1000000000ull) {
      auto ev = flowEvent<abi::FlowIdle>(ctx, abi::MsgType::FlowIdle, f, i);
      ev.idle_s = static_cast<uint32_t>((now_ns - last) / 1000000000ull);
      if (!postEvent(ctx, ev)) {
        return;  // retry on the next scan
      }
      f.idle_reported = true;  // once per silence; traffic re-arms it
    }
  }
}

}  // namespace rampart::dp
