#pragma once
// Next-hop resolution, in one place: the neighbour an out leg or injected packet leaves
// through (nextHopAddress in net/iface.h picks its IP, net/neighbour.h is the table), sending
// through it or parking the packet until it resolves, ARP requests / neighbour solicitations
// and their timers, and what ARP/ND taught this worker (copied to the other workers, whose
// solicitations may be answered on this worker's queue).
#include <cstdint>

#include <rte_mbuf.h>

#include "worker/lcore_ctx.h"

namespace rampart::dp {

// The neighbour entry for next hop `nh_ip` on `iface`, created (Incomplete) when new.
// @return kNoNeigh when the table is full of entries in use (counted in neigh_table_full).
uint16_t neighbourFor(LcoreCtx& ctx, uint8_t family, uint16_t iface, const uint8_t* nh_ip);

// Sends `m` (Ethernet source already set) to the neighbour `neigh` on `iface`: fills the
// destination MAC and queues for TX, or parks it until resolution (and solicits).
void sendViaNeighbour(LcoreCtx& ctx, uint16_t iface, uint16_t neigh, rte_mbuf* m);

// Timers, every few milliseconds: releases parked packets whose neighbour resolved, drops the
// expired ones, solicits unresolved next hops in use and re-confirms silent ones.
void runNeighbourTimers(LcoreCtx& ctx);

// Records a MAC that an ARP/ND packet gave for `ip` (creating the entry only with `create`:
// the packet was addressed to us) and copies it to the other workers. @return the entry, or
// kNoNeigh.
uint16_t learnNeighbour(LcoreCtx& ctx, uint8_t family, uint16_t iface, const uint8_t* ip,
                        const uint8_t* mac, bool create);

// Lets packets parked on `neigh` leave now rather than at the next timer tick.
void releaseParked(LcoreCtx& ctx, uint16_t neigh);

// Applies the neighbour updates other workers sent. @return how many.
uint32_t serviceNeighbourShare(LcoreCtx& ctx);

}  // namespace rampart::dp
