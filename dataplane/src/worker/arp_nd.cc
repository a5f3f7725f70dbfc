#include "worker/arp_nd.h"

#include <cstring>

#include "pkt/bytes.h"
#include "pkt/checksum.h"
#include "worker/egress.h"
#include "worker/neighbour_resolution.h"

namespace rampart::dp {
namespace {

// An ARP reply / advertisement answering us: what it taught was learnt, nothing to send.
void consumed(LcoreCtx& ctx, const Iface& in, rte_mbuf* m) {
  bump(ctx.stats->ports[in.index].arp_nd_consumed);
  rte_pktmbuf_free(m);
}

// Read (what it says about known peers was learnt) but not for us to answer: not a drop.
void ignored(LcoreCtx& ctx, const Iface& in, rte_mbuf* m) {
  bump(ctx.stats->ports[in.index].arp_nd_ignored);
  rte_pktmbuf_free(m);
}

}  // namespace

void handleArp(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi) {
  bool for_us = in.has_v4 && std::memcmp(pi.target, in.v4, 4) == 0;
  static constexpr uint8_t kZero[4] = {0, 0, 0, 0};
  bool probe = std::memcmp(pi.src, kZero, 4) == 0;  // ARP probe (RFC 5227): nothing to learn
  if (!for_us) {
    // Gratuitous ARP or traffic for someone else: refresh what we already know, nothing more.
    if (!probe) {
      learnNeighbour(ctx, 4, in.index, pi.src, pi.lladdr, false);
    }
    ignored(ctx, in, m);
    return;
  }
  uint16_t nh = probe ? kNoNeigh : learnNeighbour(ctx, 4, in.index, pi.src, pi.lladdr, true);
  if (pi.arp_op == 1) {
    auto* f = rte_pktmbuf_mtod(m, uint8_t*);
    uint8_t* a = f + kEthHdrLen;
    uint8_t sha[6];
    uint8_t spa[4];
    std::memcpy(sha, a + 8, 6);
    std::memcpy(spa, a + 14, 4);
    std::memcpy(f, sha, 6);
    std::memcpy(f + 6, in.mac, 6);
    store16(a + 6, 2);
    std::memcpy(a + 8, in.mac, 6);
    std::memcpy(a + 14, in.v4, 4);
    std::memcpy(a + 18, sha, 6);
    std::memcpy(a + 24, spa, 4);
    m->ol_flags = 0;
    bump(ctx.stats->ports[in.index].arp_nd_replies);
    txPush(ctx.tx[in.index], ctx.stats->ports[in.index], m);
  } else if (pi.arp_op == 2) {
    consumed(ctx, in, m);
  } else {
    ctx.drop(in.index, DropReason::Malformed);
    rte_pktmbuf_free(m);
  }
  releaseParked(ctx, nh);
}

void handleNd(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi) {
  bool for_us = in.has_v6 && std::memcmp(pi.target, in.v6, 16) == 0;
  if (pi.kind == PktKind::NdAdvert) {
    // The target of an advertisement is the sender's own address. One for our address is
    // someone else claiming it: never learn that.
    uint16_t nh = kNoNeigh;
    if (!for_us) {
      const uint8_t* mac = pi.has_lladdr ? pi.lladdr : rte_pktmbuf_mtod(m, uint8_t*) + 6;
      nh = learnNeighbour(ctx, 6, in.index, pi.target, mac, false);
    }
    if (nh == kNoNeigh) {
      ignored(ctx, in, m);
      return;
    }
    consumed(ctx, in, m);
    releaseParked(ctx, nh);
    return;
  }
  if (!for_us) {
    ignored(ctx, in, m);
    return;
  }
  static constexpr uint8_t kUnspec[16] = {};
  bool dad = std::memcmp(pi.src, kUnspec, 16) == 0;
  // Solicitation for our address: answer with a solicited, override advertisement built over
  // the request's buffer.
  auto* f = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t peer_mac[6];
  std::memcpy(peer_mac, f + 6, 6);
  uint16_t nh = kNoNeigh;
  if (!dad && pi.has_lladdr) {
    nh = learnNeighbour(ctx, 6, in.index, pi.src, pi.lladdr, true);
  }
  uint8_t dst[16];
  static constexpr uint8_t kAllNodes[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::memcpy(dst, dad ? kAllNodes : pi.src, 16);
  uint32_t total = kEthHdrLen + kIpv6HdrLen + kNdMessageLen;
  if (rte_pktmbuf_data_len(m) < total) {
    // The request had no room for our options (no SLLA): grow the single segment.
    if (rte_pktmbuf_append(m, static_cast<uint16_t>(total - rte_pktmbuf_data_len(m))) == nullptr) {
      ctx.drop(in.index, DropReason::NoMbuf);
      rte_pktmbuf_free(m);
      return;
    }
  } else {
    rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_data_len(m) - total));
  }
  if (dad) {
    static constexpr uint8_t kAllNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
    std::memcpy(f, kAllNodesMac, 6);
  } else {
    std::memcpy(f, peer_mac, 6);
  }
  std::memcpy(f + 6, in.mac, 6);
  store16(f + 12, kEtherIpv6);
  uint8_t* ip = f + kEthHdrLen;
  // (S)olicited unless answering DAD, (O)verride; the option carries our MAC.
  writeNdMessage(ip, {136, static_cast<uint8_t>(dad ? 0x20 : 0x60), in.v6, dst, in.v6, 2, in.mac});
  m->ol_flags = 0;
  bump(ctx.stats->ports[in.index].arp_nd_replies);
  txPush(ctx.tx[in.index], ctx.stats->ports[in.index], m);
  releaseParked(ctx, nh);
}

}  // namespace rampart::dp
