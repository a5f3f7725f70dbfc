#pragma once
// The worker's side of transcoding (docs/ARCHITECTURE.md, "Transcoding"): hands the plain RTP
// (and RTCP) of a transcoded flow to rampart-transcoder through the <shm>.xc region, and sends what
// comes back with the flow's out action (SRTP protect, headers, DSCP, next hop).
#include <cstdint>

#include <rte_mbuf.h>

#include <rampart/platform/abi.h>

#include "worker/lcore_ctx.h"

namespace rampart::dp {

// XcodeSetup: validates, queues the setup for the transcoder ahead of the flow's next packet
// and marks the flow transcoded (`from.codec = None` unmarks it). @return the Ack status.
int32_t applyXcodeSetup(LcoreCtx& ctx, const abi::XcodeSetup& s);

// Tells the transcoder whether to report the digits it detects in-band on the flow's input
// (kPacketXcToneReport). @return false when its ring is full.
bool xcodeToneReport(LcoreCtx& ctx, uint64_t handle, bool on);

// DtmfInject: hands the event to the transcoder, which sends it in the flow's outgoing stream;
// on a relayed flow the worker plays it (worker/relay_dtmf.h). @return the Ack status.
int32_t applyDtmfInject(LcoreCtx& ctx, const abi::DtmfInject& d);

// FlowDel of a transcoded flow (or of its RTCP port): tells the transcoder to free the flow's
// codec state and unlinks the flow's RTCP port. Called before the flow is erased: its out
// action (and next-hop reference) moves to worker/xcode_bye.h for the transcoder's RTCP BYE.
void xcodeTeardown(LcoreCtx& ctx, uint64_t handle);

// An authenticated, decrypted RTP packet of a transcoded flow: copied to the transcoder ring
// (a full ring is the counted drop xcode_full); the mbuf is freed either way.
void toTranscoder(LcoreCtx& ctx, uint16_t in_iface, uint32_t index, rte_mbuf* m, const uint8_t* rtp,
                  uint32_t len);

// An authenticated, decrypted RTCP packet of a transcoded flow, arrived muxed or on the flow's
// RTCP port (`f`): to the transcoder, which terminates RTCP per leg; never relayed. A full ring
// or an RTCP port whose media flow has gone is the counted drop xcode_rtcp. Frees the mbuf.
void rtcpToTranscoder(LcoreCtx& ctx, uint16_t in_iface, FlowEntry& f, uint32_t index, rte_mbuf* m,
                      const uint8_t* rtcp, uint32_t len);

// Every idle scan: when the transcoder's attach time (XcodeStats.attached_ns) changes from one
// it saw before, a new rampart-transcoder has replaced the old one and holds no codec state:
// posts XcodeRestart so the control plane sends the XcodeSetups again.
void watchTranscoder(LcoreCtx& ctx);

// Sends a packet the transcoder made with `f`'s out action (SRTP protect, headers, next hop);
// RTCP takes the out leg's RTCP port when it has one, and Rampart's SRs are noted for the
// leg's round trip (flow/rtcp_rtt.h). `fs`: the flow's counters, nullptr for a flow already
// erased (worker/xcode_bye.h).
void sendFromTranscoder(LcoreCtx& ctx, FlowEntry& f, FlowStats* fs, const uint8_t* rtp,
                        uint32_t len, bool rtcp);

// Sends up to kInjectPerPass transcoded packets. @return slots consumed.
uint32_t serviceXcode(LcoreCtx& ctx);

}  // namespace rampart::dp
