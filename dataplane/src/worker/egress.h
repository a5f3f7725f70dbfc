#pragma once
// Egress: L2-L4 header construction with checksums. Where a packet goes next (the neighbour
// and its MAC) is worker/neighbour_resolution.h.
#include <cstdint>

#include <rte_mbuf.h>

#include "worker/lcore_ctx.h"

namespace rampart::dp {

struct L4Tuple {
  uint8_t family;
  uint8_t tos;
  uint16_t sport;
  uint16_t dport;
  const uint8_t* src;  // 4 or 16 bytes
  const uint8_t* dst;
};

// Where a flow's packet leaves: its out leg's addresses and ports, RTCP on the out leg's RTCP
// port when it has one.
inline L4Tuple outTuple(const FlowEntry& f, bool rtcp) {
  bool split = rtcp && f.out_rtcp_lport != 0;
  return L4Tuple{f.out_family,
                 f.tos,
                 split ? f.out_rtcp_lport : f.out_lport,
                 split ? f.out_rtcp_rport : f.out_rport,
                 f.out_local,
                 f.out_remote};
}

// Replaces the first `old_hdr_len` bytes of `m` (whatever L2-L4 headers it had) with fresh
// Ethernet/IP/UDP headers for `t`, leaving the UDP payload in place. Computes the IPv4 header
// and UDP checksums in software unless the port offloads them. @return false when the mbuf
// lacks headroom (never with default mbufs).
bool writeUdpHeaders(LcoreCtx& ctx, const Iface& out, rte_mbuf* m, uint32_t old_hdr_len,
                     const L4Tuple& t);

// Writes an Ethernet header (destination, source, EtherType) at `f`.
void writeEth(uint8_t* f, const uint8_t* dst, const uint8_t* src, uint16_t type);

// A neighbour solicitation (135) or advertisement (136) with one link-layer address option:
// 24 bytes of message and 8 of option.
inline constexpr uint16_t kNdMessageLen = 32;
struct NdMessage {
  uint8_t type;
  uint8_t flags;       // NA: R/S/O bits; 0 for NS
  const uint8_t* src;  // IPv6 source and destination
  const uint8_t* dst;
  const uint8_t* target;  // the address asked about / advertised
  uint8_t option;         // 1: source link-layer address, 2: target link-layer address
  const uint8_t* mac;     // the option's MAC
};

// Writes the IPv6 header (hop limit 255, as RFC 4861 requires) and `nd` at `ip`, checksum
// included.
void writeNdMessage(uint8_t* ip, const NdMessage& nd);

}  // namespace rampart::dp
