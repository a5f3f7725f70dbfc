#pragma once
// Command ring consumer: decodes control-plane messages and applies them to the worker's flow
// table, answering each with an Ack (and FlowInfo / HelloAck / FlowDumpEnd where the ABI says
// so). Runs on the worker lcore between packet bursts; never on the packet path.
#include <cstdint>

namespace rampart::dp {

struct LcoreCtx;

// Applies at most kCmdPerPass commands (fewer when the event ring lacks room for the answers)
// and continues a flow dump in progress. @return commands applied.
uint32_t serviceCommands(LcoreCtx& ctx);

// Decodes and applies one command slot of `slot_size` bytes (answers go to ctx.evt). The key
// bytes of SRTP parameters in `slot` are wiped once consumed. Exposed for the fuzz target.
void applyCommand(LcoreCtx& ctx, uint8_t* slot, uint32_t slot_size);

// Emits up to kDumpPerPass FlowInfo records of a dump in progress, then FlowDumpEnd.
void continueDump(LcoreCtx& ctx);

}  // namespace rampart::dp
