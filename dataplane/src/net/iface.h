#pragma once
// One media interface (a DPDK port) as the workers see it: read-only after start-up, so every
// worker reads it without synchronisation.
#include <cstdint>
#include <cstring>

#include <rampart/dp/stats_layout.h>

namespace rampart::dp {

struct Iface {
  uint16_t port_id;  // DPDK port
  uint16_t index;    // position in IfaceSet (FlowAdd.in_port/out_port address this)
  uint8_t mac[6];
  bool has_v4;
  bool has_v6;
  bool has_gw4;
  bool has_gw6;
  bool tx_csum_offload;  // the PMD computes IPv4 and UDP checksums
  uint8_t dscp_audio;
  uint8_t dscp_video;
  uint8_t v4[4];
  uint32_t v4_mask;  // host order
  uint8_t gw4[4];
  uint8_t v6[16];
  uint32_t prefix6;
  uint8_t gw6[16];
  char realm[32];
};

struct IfaceSet {
  Iface ifaces[kMaxPorts];
  uint32_t count;
  int16_t by_port[64];  // DPDK port id -> index, -1 when not ours

  const Iface* byPort(uint16_t port_id) const {
    if (port_id >= 64 || by_port[port_id] < 0) {
      return nullptr;
    }
    return &ifaces[by_port[port_id]];
  }
};

inline bool ownsAddress(const Iface& i, uint8_t family, const uint8_t* addr) {
  if (family == 4) {
    return i.has_v4 && std::memcmp(i.v4, addr, 4) == 0;
  }
  return i.has_v6 && std::memcmp(i.v6, addr, 16) == 0;
}

inline bool onLink(const Iface& i, uint8_t family, const uint8_t* addr) {
  if (family == 4) {
    uint32_t a =
        (uint32_t{addr[0]} << 24) | (uint32_t{addr[1]} << 16) | (uint32_t{addr[2]} << 8) | addr[3];
    uint32_t o =
        (uint32_t{i.v4[0]} << 24) | (uint32_t{i.v4[1]} << 16) | (uint32_t{i.v4[2]} << 8) | i.v4[3];
    return i.has_v4 && (a & i.v4_mask) == (o & i.v4_mask);
  }
  if (!i.has_v6) {
    return false;
  }
  // fe80::/10 is always on-link.
  if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80) {
    return true;
  }
  uint32_t bits = i.prefix6;
  for (uint32_t b = 0; b < 16 && bits > 0; ++b) {
    uint8_t m = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((addr[b] & m) != (i.v6[b] & m)) {
      return false;
    }
    bits = bits >= 8 ? bits - 8 : 0;
  }
  return true;
}

// The next hop towards `dst` from `i`: `dst` itself when on-link, else the realm's gateway of
// that family. Writes it to `nh` (16 bytes, zero-padded). @return false when there is none.
inline bool nextHopAddress(const Iface& i, uint8_t family, const uint8_t* dst, uint8_t* nh) {
  const uint8_t* via = nullptr;
  if (onLink(i, family, dst)) {
    via = dst;
  } else if (family == 4 && i.has_gw4) {
    via = i.gw4;
  } else if (family == 6 && i.has_gw6) {
    via = i.gw6;
  } else {
    return false;
  }
  std::memset(nh, 0, 16);
  std::memcpy(nh, via, family == 4 ? 4 : 16);
  return true;
}

}  // namespace rampart::dp
