#pragma once
// The inject ring: packets the control plane asks the dataplane to send (ICE/DTLS answers)
// from one of our media addresses, with the realm's audio DSCP, through the neighbour table.
#include <cstdint>

#include "worker/lcore_ctx.h"

namespace rampart::dp {

// Sends up to kInjectPerPass packets from the inject ring. A slot that breaks the contract
// is counted in inject_refused. @return slots consumed.
uint32_t serviceInject(LcoreCtx& ctx);

}  // namespace rampart::dp
