#pragma once
// ICE-lite (RFC 8445 section 2.5) in the worker that owns the flow: STUN Binding requests on a
// media port are validated and answered here with libnice's stun/ codec, an authenticated
// USE-CANDIDATE check selects the flow's remote (and the paired flow's out_remote), DTLS is
// admitted only from the selected remote, and consent freshness (RFC 7675) is watched from the
// idle scan. Nothing STUN reaches the control plane.
#include <cstdint>

#include <rte_mbuf.h>

#include "pkt/parse.h"
#include "worker/lcore_ctx.h"

namespace rampart::dp {

// A STUN message (RFC 7983 first byte 0-3, at least 20 bytes) for flow `index`. Consumes `m`:
// sent back as the response, or dropped and counted.
void handleStun(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, FlowEntry& f,
                uint32_t index);

// A DTLS record for flow `index`: true when it may be punted (the flow has no ICE state, or
// the record comes from the ICE-selected remote).
bool dtlsAdmitted(const LcoreCtx& ctx, const FlowEntry& f, uint32_t index, const PacketInfo& pi);

// Consent freshness of flow `index`, from the idle scan: posts ConsentExpired once when the
// selected remote sent no valid check for the consent timeout. @return false when the event
// ring was full (the scan retries later).
bool checkConsent(LcoreCtx& ctx, uint32_t index);

// FlowIce: validates and stores the credentials (replacing earlier ones). @return an abi status.
int32_t applyFlowIce(LcoreCtx& ctx, const abi::FlowIce& m);

// Forgets (and wipes) the ICE state of a flow being deleted.
void clearIce(LcoreCtx& ctx, uint32_t index);

}  // namespace rampart::dp
