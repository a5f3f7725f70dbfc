#include "pkt/parse.h"

#include <cstring>

#include "pkt/bytes.h"
#include "pkt/checksum.h"

namespace rampart::dp {
namespace {

constexpr uint8_t kNdSolicit = 135;
constexpr uint8_t kNdAdvert = 136;
constexpr uint8_t kOptSourceLl = 1;
constexpr uint8_t kOptTargetLl = 2;

DropReason parseArp(const uint8_t* frame, uint32_t len, PacketInfo* out) {
  if (len < kEthHdrLen + kArpLen) {
    return DropReason::Malformed;
  }
  const uint8_t* a = frame + kEthHdrLen;
  // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
  if (load16(a) != 1 || load16(a + 2) != kEtherIpv4 || a[4] != 6 || a[5] != 4) {
    return DropReason::Unsupported;
  }
  out->kind = PktKind::Arp;
  out->family = 4;
  out->arp_op = load16(a + 6);
  std::memcpy(out->lladdr, a + 8, 6);
  out->has_lladdr = true;
  std::memcpy(out->src, a + 14, 4);
  std::memcpy(out->target, a + 24, 4);
  out->payload_off = kEthHdrLen;
  out->payload_len = kArpLen;
  return kNoDrop;
}

DropReason parseUdp(const uint8_t* frame, uint32_t l4_off, uint32_t l4_len, PacketInfo* out) {
  if (l4_len < kUdpHdrLen) {
    return DropReason::Malformed;
  }
  const uint8_t* u = frame + l4_off;
  uint16_t udp_len = load16(u + 4);
  // The UDP length must cover its header and fit in what IP carries; IP may carry more (a
  // sender bug we tolerate by trusting the smaller UDP length), never less.
  if (udp_len < kUdpHdrLen || udp_len > l4_len) {
    return DropReason::Malformed;
  }
  out->kind = PktKind::Udp;
  out->l4_off = static_cast<uint16_t>(l4_off);
  out->src_port = load16(u);
  out->dst_port = load16(u + 2);
  out->payload_off = static_cast<uint16_t>(l4_off + kUdpHdrLen);
  out->payload_len = static_cast<uint16_t>(udp_len - kUdpHdrLen);
  return kNoDrop;
}

DropReason parseNd(const uint8_t* frame, uint32_t l4_off, uint32_t l4_len, PacketInfo* out) {
  const uint8_t* icmp = frame + l4_off;
  if (l4_len < 4) {
    return DropReason::Malformed;
  }
  uint8_t type = icmp[0];
  if (type != kNdSolicit && type != kNdAdvert) {
    return DropReason::Unsupported;
  }
  // RFC 4861 7.1.1/7.1.2: hop limit 255 (not forwarded), code 0, at least 24 bytes.
  if (out->hop_limit != 255 || icmp[1] != 0 || l4_len < 24) {
    return DropReason::Malformed;
  }
  out->kind = type == kNdSolicit ? PktKind::NdSolicit : PktKind::NdAdvert;
  out->l4_off = static_cast<uint16_t>(l4_off);
  out->payload_off = static_cast<uint16_t>(l4_off);
  out->payload_len = static_cast<uint16_t>(l4_len);
  std::memcpy(out->target, icmp + 8, 16);
  // Options: type, length in units of 8 bytes (0 is invalid and would loop forever).
  uint32_t off = 24;
  uint8_t want = type == kNdSolicit ? kOptSourceLl : kOptTargetLl;
  while (off + 2 <= l4_len) {
    uint32_t olen = static_cast<uint32_t>(icmp[off + 1]) * 8;
    if (olen == 0 || off + olen > l4_len) {
      return DropReason::Malformed;
    }
    if (icmp[off] == want && olen >= 8) {
      std::memcpy(out->lladdr, icmp + off + 2, 6);
      out->has_lladdr = true;
    }
    off += olen;
  }
  return kNoDrop;
}

DropReason parseIpv4(const uint8_t* frame, uint32_t len, PacketInfo* out) {
  if (len < kEthHdrLen + kIpv4HdrLen) {
    return DropReason::Malformed;
  }
  const uint8_t* ip = frame + kEthHdrLen;
  uint32_t ihl = static_cast<uint32_t>(ip[0] & 0x0f) * 4;
  if ((ip[0] >> 4) != 4 || ihl < kIpv4HdrLen || kEthHdrLen + ihl > len) {
    return DropReason::Malformed;
  }
  uint32_t total = load16(ip + 2);
  if (total < ihl || kEthHdrLen + total > len) {
    return DropReason::Malformed;
  }
  if (ipv4HeaderChecksum(ip, ihl) != 0) {
    return DropReason::BadIpChecksum;
  }
  // MF set or a non-zero offset: a fragment (reassembly is never worth it for media).
  if ((load16(ip + 6) & 0x3fff) != 0) {
    return DropReason::Fragment;
  }
  out->family = 4;
  out->tos = ip[1];
  out->hop_limit = ip[8];
  std::memcpy(out->src, ip + 12, 4);
  std::memcpy(out->dst, ip + 16, 4);
  if (ip[9] != kProtoUdp) {
    return DropReason::Unsupported;
  }
  return parseUdp(frame, kEthHdrLen + ihl, total - ihl, out);
}

DropReason parseIpv6(const uint8_t* frame, uint32_t len, PacketInfo* out) {
  if (len < kEthHdrLen + kIpv6HdrLen) {
    return DropReason::Malformed;
  }
  const uint8_t* ip = frame + kEthHdrLen;
  if ((ip[0] >> 4) != 6) {
    return DropReason::Malformed;
  }
  uint32_t plen = load16(ip + 4);
  if (kEthHdrLen + kIpv6HdrLen + plen > len) {
    return DropReason::Malformed;
  }
  out->family = 6;
  out->tos = static_cast<uint8_t>((load16(ip) >> 4) & 0xff);
  out->hop_limit = ip[7];
  std::memcpy(out->src, ip + 8, 16);
  std::memcpy(out->dst, ip + 24, 16);
  uint32_t l4_off = kEthHdrLen + kIpv6HdrLen;
  // Extension headers are not walked: media and ND never need them, and skipping them keeps
  // the parser's attack surface small.
  switch (ip[6]) {
    case kProtoUdp: return parseUdp(frame, l4_off, plen, out);
    case kProtoIcmp6: return parseNd(frame, l4_off, plen, out);
    case 44: return DropReason::Fragment;
    default: return DropReason::Unsupported;
  }
}

}  // namespace

DropReason parseFrame(const uint8_t* frame, uint32_t len, PacketInfo* out) {
  std::memset(out, 0, sizeof(*out));
  out->l3_off = kEthHdrLen;
  if (len < kEthHdrLen) {
    return DropReason::Malformed;
  }
  switch (load16(frame + 12)) {
    case kEtherArp: return parseArp(frame, len, out);
    case kEtherIpv4: return parseIpv4(frame, len, out);
    case kEtherIpv6: return parseIpv6(frame, len, out);
    default: return DropReason::Unsupported;
  }
}

}  // namespace rampart::dp
