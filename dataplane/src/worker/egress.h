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

// Replaces the first `old_hdr_len` bytes of `m` (whatever L2-L4 headers it had) with fresh
// Ethernet/IP/UDP headers for `t`, leaving the UDP payload in place. Computes the IPv4 header
// and UDP checksums in software unless the port offloads them. @return false when the mbuf
// lacks headroom (never with default mbufs).
bool writeUdpHeaders(LcoreCtx& ctx, const Iface& out, rte_mbuf* m, uint32_t old_hdr_len,
                     const L4Tuple& t);

// Writes an Ethernet header (destination, source, EtherType) at `f`.
void writeEth(uint8_t* f, const uint8_t* dst, const uint8_t* src, uint16_t type);

// Writes an IPv6 header (hop limit 255, as RFC 4861 requires for ND) for an ICMPv6 message of
// `icmp_len` bytes at `ip`, zeroes that message and sets its type. Returns the ICMPv6 header.
uint8_t* writeNdHeaders(uint8_t* ip, uint16_t icmp_len, const uint8_t* src, const uint8_t* dst,
                        uint8_t type);

}  // namespace rampart::dp
