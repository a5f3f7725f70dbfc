#include "worker/egress.h"

#include <cstring>

#include <rte_ether.h>
#include <rte_ip.h>

#include "pkt/bytes.h"
#include "pkt/checksum.h"
#include "pkt/parse.h"

namespace rampart::dp {
namespace {

constexpr uint64_t kPendingTimeoutMs = 1000;
constexpr uint64_t kProbeIntervalMs = 300;
constexpr uint64_t kProbeBackoffMs = 5000;
// A next hop in use is re-confirmed after this long without an ARP/ND packet from it (the MAC
// stays in use meanwhile), and forgotten when kMaxProbes probes go unanswered: a peer that
// moved to a new MAC without a gratuitous ARP, or went away, is then resolved afresh.
constexpr uint64_t kReachableMs = 30000;

uint64_t msToTsc(const LcoreCtx& ctx, uint64_t ms) { return ms * ctx.tsc_hz / 1000; }

void writeEth(uint8_t* f, const uint8_t* dst, const uint8_t* src, uint16_t type) {
  std::memcpy(f, dst, 6);
  std::memcpy(f + 6, src, 6);
  store16(f + 12, type);
}

}  // namespace

uint8_t* writeNdHeaders(uint8_t* ip, uint16_t icmp_len, const uint8_t* src, const uint8_t* dst,
                        uint8_t type) {
  store32(ip, 6u << 28);
  store16(ip + 4, icmp_len);
  ip[6] = kProtoIcmp6;
  ip[7] = 255;
  std::memcpy(ip + 8, src, 16);
  std::memcpy(ip + 24, dst, 16);
  uint8_t* icmp = ip + kIpv6HdrLen;
  std::memset(icmp, 0, icmp_len);
  icmp[0] = type;
  return icmp;
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

void sendViaNeighbour(LcoreCtx& ctx, uint16_t iface, uint16_t neigh, rte_mbuf* m) {
  Neighbour& n = ctx.neigh.at(neigh);
  PortCounters& pc = ctx.stats->ports[iface];
  if (n.state == NeighState::Reachable) [[likely]] {
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), n.mac, 6);
    txPush(ctx.tx[iface], pc, m);
    return;
  }
  if (ctx.pending_n >= kPendingCap) {
    rte_pktmbuf_free(m);
    ctx.drop(iface, DropReason::NoNeighbour);
    return;
  }
  ctx.pending[ctx.pending_n++] = {m, neigh, iface, ctx.now_tsc + msToTsc(ctx, kPendingTimeoutMs)};
  n.pending++;
  publish(ctx.stats->neigh_pending, uint64_t{ctx.pending_n});
  if (n.probes == 0 || ctx.now_tsc >= n.next_probe_tsc) {
    solicit(ctx, neigh);
  }
}

void solicit(LcoreCtx& ctx, uint16_t idx) {
  Neighbour& n = ctx.neigh.at(idx);
  const Iface& out = ctx.ifaces->ifaces[n.iface];
  n.probes++;
  n.next_probe_tsc = ctx.now_tsc + msToTsc(ctx, n.probes >= kMaxProbes ? kProbeBackoffMs
                                                                         : kProbeIntervalMs);
  if (n.probes >= kMaxProbes) {
    n.probes = 0;  // start a new round after the back-off
  }
  if (ctx.pool == nullptr) {
    return;
  }
  rte_mbuf* m = rte_pktmbuf_alloc(ctx.pool);
  if (m == nullptr) {
    bump(ctx.stats->alloc_failed);  // no packet of anyone's was lost: retried next round
    return;
  }
  if (n.family == 4) {
    if (!out.has_v4) {
      rte_pktmbuf_free(m);
      return;
    }
    auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kEthHdrLen + kArpLen));
    if (f == nullptr) {
      rte_pktmbuf_free(m);
      return;
    }
    static constexpr uint8_t kBcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    writeEth(f, kBcast, out.mac, kEtherArp);
    uint8_t* a = f + kEthHdrLen;
    store16(a, 1);
    store16(a + 2, kEtherIpv4);
    a[4] = 6;
    a[5] = 4;
    store16(a + 6, 1);
    std::memcpy(a + 8, out.mac, 6);
    std::memcpy(a + 14, out.v4, 4);
    std::memset(a + 18, 0, 6);
    std::memcpy(a + 24, n.ip, 4);
  } else {
    if (!out.has_v6) {
      rte_pktmbuf_free(m);
      return;
    }
    constexpr uint32_t kNsLen = 32;  // 24-byte NS + 8-byte source link-layer option
    auto* f =
        reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kEthHdrLen + kIpv6HdrLen + kNsLen));
    if (f == nullptr) {
      rte_pktmbuf_free(m);
      return;
    }
    // Solicited-node multicast group ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX.
    uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, n.ip[13], n.ip[14],
                         n.ip[15]};
    uint8_t mac[6] = {0x33, 0x33, 0xff, n.ip[13], n.ip[14], n.ip[15]};
    writeEth(f, mac, out.mac, kEtherIpv6);
    uint8_t* ip = f + kEthHdrLen;
    uint8_t* icmp = writeNdHeaders(ip, kNsLen, out.v6, group, 135);
    std::memcpy(icmp + 8, n.ip, 16);
    icmp[24] = 1;  // source link-layer address option
    icmp[25] = 1;
    std::memcpy(icmp + 26, out.mac, 6);
    uint16_t c = l4Checksum(true, out.v6, group, kProtoIcmp6, icmp, kNsLen);
    std::memcpy(icmp + 2, &c, 2);
  }
  txPush(ctx.tx[n.iface], ctx.stats->ports[n.iface], m);
}

void neighbourHousekeeping(LcoreCtx& ctx) {
  uint32_t keep = 0;
  for (uint32_t i = 0; i < ctx.pending_n; ++i) {
    PendingPkt p = ctx.pending[i];
    Neighbour& n = ctx.neigh.at(p.neigh);
    if (n.state == NeighState::Reachable) {
      n.pending--;
      std::memcpy(rte_pktmbuf_mtod(p.m, uint8_t*), n.mac, 6);
      txPush(ctx.tx[p.iface], ctx.stats->ports[p.iface], p.m);
    } else if (ctx.now_tsc >= p.deadline_tsc) {
      n.pending--;
      rte_pktmbuf_free(p.m);
      ctx.drop(p.iface, DropReason::NoNeighbour);
    } else {
      ctx.pending[keep++] = p;
    }
  }
  ctx.pending_n = keep;
  publish(ctx.stats->neigh_pending, uint64_t{keep});
  // Resolve next hops of programmed flows ahead of their first packet, and keep trying
  // (with back-off) for those still waiting.
  for (uint16_t i = 0; i < kNeighCapacity; ++i) {
    Neighbour& n = ctx.neigh.at(i);
    if (n.state == NeighState::Incomplete && (n.refs > 0 || n.pending > 0) &&
        ctx.now_tsc >= n.next_probe_tsc) {
      solicit(ctx, i);
    } else if (n.state == NeighState::Reachable && n.refs > 0 &&
               ctx.now_tsc - n.confirmed_tsc >= msToTsc(ctx, kReachableMs) &&
               ctx.now_tsc >= n.next_probe_tsc) {
      if (n.stale_probes >= kMaxProbes) {
        n.state = NeighState::Incomplete;  // packets park from now on; resolution restarts
        n.stale_probes = 0;
        n.probes = 0;
        n.next_probe_tsc = ctx.now_tsc;
        bump(ctx.stats->neigh_expired);
      } else {
        n.stale_probes++;
        solicit(ctx, i);
      }
    }
  }
}

}  // namespace rampart::dp
