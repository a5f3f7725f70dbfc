#pragma once
#include <atomic>

#include "worker/lcore_ctx.h"

namespace rampart::dp {

// Runs the worker until `stop` becomes true. Suitable for rte_eal_remote_launch.
void workerLoop(LcoreCtx& ctx, const std::atomic<bool>& stop);

// One pass of the loop (exposed for tests and the benchmark): receive and process a burst from
// every port, flush TX when due, service rings and timers. @return packets received.
uint32_t workerPass(LcoreCtx& ctx);

}  // namespace rampart::dp
