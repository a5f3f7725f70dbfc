#pragma once
// L2-L4 parser for one received frame. Pure function over bytes (no DPDK types) so it is unit
// tested and fuzzed on its own. Every header length is checked before the header is read; the
// parser never reads past `len`.
#include <cstdint>

#include "stats/drop_reasons.h"

namespace rampart::dp {

inline constexpr uint16_t kEtherArp = 0x0806;
inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherIpv6 = 0x86dd;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmp6 = 58;
inline constexpr uint32_t kEthHdrLen = 14;
inline constexpr uint32_t kIpv4HdrLen = 20;
inline constexpr uint32_t kIpv6HdrLen = 40;
inline constexpr uint32_t kUdpHdrLen = 8;
inline constexpr uint32_t kArpLen = 28;

enum class PktKind : uint8_t { Udp, Arp, NdSolicit, NdAdvert };

struct PacketInfo {
  PktKind kind;
  uint8_t family;  // 4 or 6 (IP kinds); 4 for ARP
  uint8_t tos;     // IPv4 TOS / IPv6 traffic class (DSCP + ECN)
  uint8_t hop_limit;
  uint16_t l3_off;  // always kEthHdrLen today (no VLAN)
  uint16_t l4_off;
  uint16_t payload_off;  // UDP payload / ARP body / ICMPv6 body
  uint16_t payload_len;
  uint16_t src_port;  // host order (UDP)
  uint16_t dst_port;
  uint8_t src[16];  // IPv4 in the first 4 bytes
  uint8_t dst[16];
  // ARP / ND specifics.
  uint16_t arp_op;     // 1 request, 2 reply
  uint8_t target[16];  // ARP target protocol address / ND target address
  uint8_t lladdr[6];   // sender hardware address (ARP) / SLLA or TLLA option (ND)
  bool has_lladdr;
};

// Parses an Ethernet frame of `len` bytes. Returns kNoDrop with `out` filled, or the reason the
// frame must be dropped. Trailing bytes past the IP length (Ethernet padding) are ignored.
DropReason parseFrame(const uint8_t* frame, uint32_t len, PacketInfo* out);

}  // namespace rampart::dp
