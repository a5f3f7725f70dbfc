#include "worker/xcode_bye.h"

#include <utility>

#include "worker/lcore_ctx.h"
#include "worker/xcode_io.h"

namespace rampart::dp {
namespace {

void release(LcoreCtx& ctx, XcByeSlot& s) {
  if (s.owned) {
    s.egress.srtp_out.reset();  // keys wiped
    if (s.egress.neigh != kNoNeigh) {
      ctx.neigh.unref(s.egress.neigh);
    }
    s.egress = FlowEntry{};
  }
  s.handle = 0;
  s.owned = false;
}

XcByeSlot* freeSlot(LcoreCtx& ctx) {
  for (XcByeSlot& s : ctx.xc_bye.slots) {
    if (s.handle != 0 && ctx.now_ns >= s.until_ns) {
      release(ctx, s);
    }
    if (s.handle == 0) {
      return &s;
    }
  }
  return nullptr;
}

}  // namespace

void xcByeExpect(LcoreCtx& ctx, uint64_t handle, FlowEntry* leaving) {
  XcByeSlot* s = freeSlot(ctx);
  if (s == nullptr) {
    return;
  }
  s->handle = handle;
  s->until_ns = ctx.now_ns + kXcByeWaitNs;
  s->owned = leaving != nullptr;
  if (leaving != nullptr) {
    s->egress = std::move(*leaving);  // the SRTP contexts move; the erase wipes the rest
    s->egress.srtp_in.reset();        // nothing arrives any more: its keys go now
    leaving->neigh = kNoNeigh;        // the reference is the slot's until it is freed
  }
}

bool xcByeSend(LcoreCtx& ctx, const abi::PacketSlot& h, const uint8_t* pkt) {
  for (XcByeSlot& s : ctx.xc_bye.slots) {
    if (s.handle != h.flow || h.flow == 0) {
      continue;
    }
    FlowEntry* f = s.owned ? &s.egress : ctx.flows.get(h.flow);
    bool ok = f != nullptr && f->out_rport != 0 && (f->flags & abi::kFlowAwaitKeys) == 0;
    if (ok) {
      FlowStats* fs = s.owned ? nullptr : &ctx.flow_stats[abi::unpackHandle(h.flow).index];
      sendFromTranscoder(ctx, *f, fs, pkt, h.len, true);
    }
    release(ctx, s);
    return ok;
  }
  return false;
}

void xcByeExpire(LcoreCtx& ctx) {
  for (XcByeSlot& s : ctx.xc_bye.slots) {
    if (s.handle != 0 && ctx.now_ns >= s.until_ns) {
      release(ctx, s);
    }
  }
}

void xcByeFini(LcoreCtx& ctx) {
  for (XcByeSlot& s : ctx.xc_bye.slots) {
    if (s.handle != 0) {
      release(ctx, s);
    }
  }
}

}  // namespace rampart::dp
