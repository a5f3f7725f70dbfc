#include "worker/egress.h"

#include <cstring>

#include <rte_ether.h>
#include <rte_ip.h>

#include "pkt/bytes.h"
#include "pkt/checksum.h"
#include "pkt/parse.h"

namespace rampart::dp {

void writeEth(uint8_t* f, const uint8_t* dst, const uint8_t* src, uint16_t type) {
  std::memcpy(f, dst, 6);
  std::memcpy(f + 6, src, 6);
  store16(f + 12, type);
}

void writeNdMessage(uint8_t* ip, const NdMessage& nd) {
  store32(ip, 6u << 28);
  store16(ip + 4, kNdMessageLen);
  ip[6] = kProtoIcmp6;
  ip[7] = 255;
  std::memcpy(ip + 8, nd.src, 16);
  std::memcpy(ip + 24, nd.dst, 16);
  uint8_t* icmp = ip + kIpv6HdrLen;
  std::memset(icmp, 0, kNdMessageLen);
  icmp[0] = nd.type;
  icmp[4] = nd.flags;
  std::memcpy(icmp + 8, nd.target, 16);
  icmp[24] = nd.option;
  icmp[25] = 1;  // option length in units of 8 bytes
  std::memcpy(icmp + 26, nd.mac, 6);
  uint16_t c = l4Checksum(true, nd.src, nd.dst, kProtoIcmp6, icmp, kNdMessageLen);
  std::memcpy(icmp + 2, &c, 2);
}

bool writeUdpHeaders(LcoreCtx& ctx, const Iface& out, rte_mbuf* m, uint32_t old_hdr_len,
                     const L4Tuple& t) {
  uint32_t l3 = t.family == 4 ? kIpv4HdrLen : kIpv6HdrLen;
  uint32_t hdr = kEthHdrLen + l3 + kUdpHdrLen;
  if (rte_pktmbuf_adj(m, static_cast<uint16_t>(old_hdr_len)) == nullptr) {
    return false;
  }
  uint32_t payload = rte_pktmbuf_pkt_len(m);
  auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, static_cast<uint16_t>(hdr)));
  if (f == nullptr) {
    return false;
  }
  m->ol_flags = 0;  // RX flags describe the old packet
  static constexpr uint8_t kZeroMac[6] = {0, 0, 0, 0, 0, 0};
  uint8_t* ip = f + kEthHdrLen;
  uint8_t* udp = ip + l3;
  uint16_t udp_len = static_cast<uint16_t>(kUdpHdrLen + payload);
  store16(udp, t.sport);
  store16(udp + 2, t.dport);
  store16(udp + 4, udp_len);
  store16(udp + 6, 0);
  if (t.family == 4) {
    writeEth(f, kZeroMac, out.mac, kEtherIpv4);
    ip[0] = 0x45;
    ip[1] = t.tos;
    store16(ip + 2, static_cast<uint16_t>(kIpv4HdrLen + udp_len));
    store16(ip + 4, ctx.ip_id++);
    store16(ip + 6, 0x4000);  // DF: media is never fragmented
    ip[8] = 64;
    ip[9] = kProtoUdp;
    store16(ip + 10, 0);
    std::memcpy(ip + 12, t.src, 4);
    std::memcpy(ip + 16, t.dst, 4);
    if (out.tx_csum_offload) {
      m->l2_len = kEthHdrLen;
      m->l3_len = kIpv4HdrLen;
      m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
      uint16_t ph = rte_ipv4_phdr_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip), m->ol_flags);
      std::memcpy(udp + 6, &ph, 2);
    } else {
      uint16_t c = ipv4HeaderChecksum(ip, kIpv4HdrLen);
      std::memcpy(ip + 10, &c, 2);
      c = l4Checksum(false, t.src, t.dst, kProtoUdp, udp, udp_len);
      std::memcpy(udp + 6, &c, 2);
    }
  } else {
    writeEth(f, kZeroMac, out.mac, kEtherIpv6);
    store32(ip, (6u << 28) | (uint32_t{t.tos} << 20));
    store16(ip + 4, udp_len);
    ip[6] = kProtoUdp;
    ip[7] = 64;
    std::memcpy(ip + 8, t.src, 16);
    std::memcpy(ip + 24, t.dst, 16);
    // UDP over IPv6 always carries a checksum (RFC 8200 8.1); computed in software because
    // IPv6 offload support is rarer and these packets are few compared with IPv4 media.
    uint16_t c = l4Checksum(true, t.src, t.dst, kProtoUdp, udp, udp_len);
    std::memcpy(udp + 6, &c, 2);
  }
  return true;
}

}  // namespace rampart::dp
