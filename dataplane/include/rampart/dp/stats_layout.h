#pragma once
// Layout of one dataplane worker's statistics area in the shared-memory region
// (ShmRegion::stats(worker)). The worker is the only writer; readers (the metrics collector, a
// control plane) load fields with relaxed atomics and tolerate a torn view across fields.
//
//   WorkerStats header | FlowStats[flow_capacity]   (FlowStats indexed by flow handle index)
#include <cstddef>
#include <cstdint>

namespace rampart::dp {

inline constexpr uint32_t kStatsMagic = 0x53545044;  // "DPTS"
// 3: drops are packets only; 4: ICE-lite; 5: xcode; 6: SRTP engines
inline constexpr uint32_t kStatsVersion = 6;
inline constexpr uint32_t kMaxPorts = 8;             // DPDK ports (one or more per realm)
inline constexpr uint32_t kMaxDropSlots = 32;        // room for drop reasons (append-only)
inline constexpr uint32_t kMaxIceOutcomeSlots = 16;  // room for STUN outcomes (append-only)

struct PortCounters {
  uint64_t rx_packets;
  uint64_t rx_bytes;
  uint64_t tx_packets;
  uint64_t tx_bytes;
  uint64_t punted;                // STUN/DTLS copied to the control plane
  uint64_t injected;              // packets the control plane handed back
  uint64_t arp_nd_replies;        // ARP replies / neighbour advertisements sent
  uint64_t arp_nd_consumed;       // ARP replies / advertisements answering our own solicitations
  uint64_t arp_nd_ignored;        // ARP/ND for other hosts (gratuitous, probes): read, not answered
  uint64_t drops[kMaxDropSlots];  // indexed by DropReason, packets only
};

struct WorkerStats {
  uint32_t magic;
  uint32_t version;
  uint32_t worker;
  uint32_t n_ports;
  uint32_t n_drop_reasons;
  uint32_t flow_capacity;
  uint64_t flows_live;
  uint64_t loop_passes;
  uint64_t idle_sleeps;
  uint64_t commands;          // commands applied
  uint64_t commands_refused;  // commands answered with an error status
  uint64_t events_lost;       // events (idle, ssrc change) not posted for lack of room
  uint64_t neigh_pending;     // packets now waiting on next-hop resolution
  uint64_t neigh_expired;     // next hops that stopped answering re-confirmation probes
  uint64_t handoff_out;       // packets handed to the worker owning their flow
  uint64_t handoff_in;        // packets other workers handed to this one
  uint64_t neigh_share_lost;  // neighbour updates another worker's ring had no room for
  uint64_t neigh_table_full;  // next hops not created: every entry in use by flows or packets
  uint64_t inject_refused;    // inject slots with a bad port, length, family or address
  uint64_t alloc_failed;      // own packets (ARP/ND solicitations) not sent: mbuf pool empty
  PortCounters ports[kMaxPorts];
  // ICE-lite (version 4).
  uint64_t ice_checks[kMaxIceOutcomeSlots];  // STUN on media ports, by IceOutcome
  uint64_t ice_selected;                     // USE-CANDIDATE checks that moved a flow's remote
  uint64_t ice_consent_expired;              // ConsentExpired events posted (RFC 7675)
  // Transcoding (version 5).
  uint64_t xcode_to;       // RTP packets handed to rampart-transcoder
  uint64_t xcode_from;     // transcoded packets sent
  uint64_t xcode_refused;  // return slots with a bad kind, length, RTP header or flow
  // SRTP engines (version 6): flow directions with SRTP on each engine now.
  uint64_t srtp_fast;     // the fast path (intel-ipsec-mb)
  uint64_t srtp_libsrtp;  // libsrtp2 (forced by config, or not covered by the fast path)
};

struct alignas(64) FlowStats {
  uint64_t packets;
  uint64_t bytes;
  uint64_t drops;
  uint64_t last_seen_ns;  // CLOCK_MONOTONIC
  uint32_t ssrc;
  uint32_t rtp_lost;    // RFC 3550 cumulative number of packets lost (clamped at 0)
  uint32_t jitter_ts;   // RFC 3550 interarrival jitter, timestamp units
  uint32_t generation;  // handle generation the counters belong to (0: free slot)
  uint64_t _pad[2];
};
static_assert(sizeof(FlowStats) == 64);

// The region's global statistics area (ShmRegion::globalStats()), written by the main lcore
// only: media port link state as the PMD reports it, polled every heartbeat (about 200 ms).
// Ports are in config order (realms, then each realm's devargs), as PortCounters are.
inline constexpr uint32_t kGlobalStatsMagic = 0x4b4e4c44;  // "DLNK"
inline constexpr uint32_t kGlobalStatsVersion = 1;

struct PortLink {
  uint32_t up;           // 1 link up, 0 down
  uint32_t speed_mbps;   // 0: the PMD does not know
  uint32_t full_duplex;  // 1 full, 0 half
  uint32_t autoneg;      // 1 autonegotiated, 0 fixed
  uint64_t changes;      // up/down transitions since start
  uint64_t updated_ns;   // CLOCK_MONOTONIC of the last poll; a reader treats old values as unknown
};

struct GlobalStats {
  uint32_t magic;  // written last at start-up, so a reader seeing it sees n_ports too
  uint32_t version;
  uint32_t n_ports;
  uint32_t _pad;
  PortLink ports[kMaxPorts];
};
static_assert(sizeof(GlobalStats) <= 4096, "fits RegionGeometry::global_stats_bytes");

constexpr std::size_t workerStatsBytes(uint32_t flow_capacity) {
  return ((sizeof(WorkerStats) + 63) & ~std::size_t{63}) +
         static_cast<std::size_t>(flow_capacity) * sizeof(FlowStats);
}

inline FlowStats* flowStatsArray(void* worker_stats) {
  return reinterpret_cast<FlowStats*>(static_cast<uint8_t*>(worker_stats) +
                                      ((sizeof(WorkerStats) + 63) & ~std::size_t{63}));
}

// Single-writer counter bump: a plain load and a relaxed store (no locked instruction), so
// concurrent readers never see a torn 64-bit value.
inline void bump(uint64_t& counter, uint64_t n = 1) {
  __atomic_store_n(&counter, counter + n, __ATOMIC_RELAXED);
}
template <typename T>
inline void publish(T& field, T value) {
  __atomic_store_n(&field, value, __ATOMIC_RELAXED);
}
template <typename T>
inline T readRelaxed(const T& field) {
  return __atomic_load_n(&field, __ATOMIC_RELAXED);
}

}  // namespace rampart::dp
