#pragma once
// Idle flows: FlowIdle to the control plane once per silence longer than a flow's idle
// timeout, found by a scan of the table in slices.
#include "worker/lcore_ctx.h"

namespace rampart::dp {

// Scans the next slice of the flow table (kIdleScanPerCall entries) and posts FlowIdle for
// flows silent longer than their idle timeout; stops early when the event ring is full.
void scanIdle(LcoreCtx& ctx);

}  // namespace rampart::dp
