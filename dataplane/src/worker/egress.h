#pragma once
// Egress: L2-L4 header construction with checksums, and next-hop resolution (send now when
// the neighbour is known, otherwise park the packet in a bounded queue and solicit).
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

// Sends `m` (Ethernet source already set) to the neighbour `neigh` on `iface`: fills the
// destination MAC and queues for TX, or parks it until resolution.
void sendViaNeighbour(LcoreCtx& ctx, uint16_t iface, uint16_t neigh, rte_mbuf* m);

// Sends an ARP request / neighbour solicitation for entry `neigh`.
void solicit(LcoreCtx& ctx, uint16_t neigh);

// Releases parked packets whose neighbour resolved; drops the expired ones; re-solicits.
void neighbourHousekeeping(LcoreCtx& ctx);

// Writes an IPv6 header (hop limit 255, as RFC 4861 requires for ND) for an ICMPv6 message of
// `icmp_len` bytes at `ip`, zeroes that message and sets its type. Returns the ICMPv6 header.
uint8_t* writeNdHeaders(uint8_t* ip, uint16_t icmp_len, const uint8_t* src, const uint8_t* dst,
                        uint8_t type);

}  // namespace rampart::dp
