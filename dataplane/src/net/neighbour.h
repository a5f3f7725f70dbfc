#pragma once
// Per-worker neighbour table (ARP for IPv4, ND for IPv6): next-hop IP -> MAC on one interface.
// Written only by its worker, from ARP/ND packets it receives and from flow commands that
// reference a next hop. Fixed size, no allocation after start-up.
#include <cstdint>
#include <cstring>

#include <rampart/platform/assert.h>

namespace rampart::dp {

enum class NeighState : uint8_t { Free, Incomplete, Reachable };

struct Neighbour {
  NeighState state;
  uint8_t family;
  uint16_t iface;
  uint8_t ip[16];
  uint8_t mac[6];
  uint8_t probes;        // solicitations sent since the last answer
  uint8_t stale_probes;  // re-confirmation probes of a Reachable entry since the last answer
  uint32_t refs;         // flows using this next hop (referenced entries are never evicted)
  uint32_t pending;      // packets queued on this entry
  uint64_t next_probe_tsc;
  uint64_t confirmed_tsc;  // last ARP/ND packet that gave or confirmed the MAC
};

inline constexpr uint32_t kNeighCapacity = 256;
inline constexpr uint16_t kNoNeigh = 0xffff;

class NeighTable {
 public:
  uint16_t find(uint8_t family, uint16_t iface, const uint8_t* ip) const {
    uint32_t alen = family == 4 ? 4 : 16;
    for (uint16_t i = 0; i < kNeighCapacity; ++i) {
      const Neighbour& n = e_[i];
      if (n.state != NeighState::Free && n.family == family && n.iface == iface &&
          std::memcmp(n.ip, ip, alen) == 0) {
        return i;
      }
    }
    return kNoNeigh;
  }

  // Finds or creates an entry (Incomplete when new). kNoNeigh when full of referenced entries.
  uint16_t findOrCreate(uint8_t family, uint16_t iface, const uint8_t* ip) {
    uint16_t i = find(family, iface, ip);
    if (i != kNoNeigh) {
      return i;
    }
    uint16_t victim = kNoNeigh;
    for (uint16_t k = 0; k < kNeighCapacity; ++k) {
      if (e_[k].state == NeighState::Free) {
        victim = k;
        break;
      }
      if (victim == kNoNeigh && e_[k].refs == 0 && e_[k].pending == 0) {
        victim = k;  // an unreferenced learned entry may be recycled
      }
    }
    if (victim == kNoNeigh) {
      return kNoNeigh;
    }
    Neighbour& n = e_[victim];
    std::memset(&n, 0, sizeof(n));
    n.state = NeighState::Incomplete;
    n.family = family;
    n.iface = iface;
    std::memcpy(n.ip, ip, family == 4 ? 4 : 16);
    return victim;
  }

  // Records a MAC learnt from ARP/ND at `now_tsc`. Creates an entry only when `create` (the
  // packet was addressed to us), so unsolicited chatter cannot churn the table.
  uint16_t learn(uint8_t family, uint16_t iface, const uint8_t* ip, const uint8_t* mac, bool create,
                 uint64_t now_tsc) {
    uint16_t i = create ? findOrCreate(family, iface, ip) : find(family, iface, ip);
    if (i == kNoNeigh) {
      return kNoNeigh;
    }
    std::memcpy(e_[i].mac, mac, 6);
    e_[i].state = NeighState::Reachable;
    e_[i].probes = 0;
    e_[i].stale_probes = 0;
    e_[i].confirmed_tsc = now_tsc;
    return i;
  }

  // A flow stops using next hop `i` (it holds one reference from install to removal).
  void unref(uint16_t i) {
    RAMPART_ASSERT(e_[i].refs > 0, "neighbour reference count underflow");
    e_[i].refs--;
  }

  Neighbour& at(uint16_t i) { return e_[i]; }
  const Neighbour& at(uint16_t i) const { return e_[i]; }

 private:
  Neighbour e_[kNeighCapacity]{};
};

}  // namespace rampart::dp
