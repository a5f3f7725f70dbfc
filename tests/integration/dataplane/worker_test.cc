// The worker pipeline in one process: frames go in through a net_ring port and come out of
// the other, exactly as the worker lcore would handle them.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "harness.h"
#include "pkt/parse.h"
#include "srtp/srtp_ctx.h"

namespace rampart::dp::test {
namespace {

const Addr kWanPeer = v4(198, 18, 2, 2);
const Addr kLanPeer = v4(198, 18, 4, 2);
const Addr kWanPeer6 = v6(0x2001, 2, 0, 2, 2);
const Addr kLanPeer6 = v6(0x2001, 2, 0, 4, 2);

std::vector<uint8_t> fromWan(const Harness& h, const Addr& src, uint16_t sport, uint16_t dport,
                             const std::vector<uint8_t>& payload) {
  Addr dst = src.family == 4 ? v4(198, 18, 2, 1) : v6(0x2001, 2, 0, 2, 1);
  return udpFrame(h.wan().mac, kPeerWanMac, src, dst, sport, dport, payload);
}

// Checks headers and checksums of an egress frame; returns its UDP payload.
std::vector<uint8_t> checkEgress(const std::vector<uint8_t>& f, const Iface& out,
                                 const uint8_t* peer_mac, const Addr& peer, uint16_t sport,
                                 uint16_t dport, uint8_t dscp) {
  PacketInfo pi;
  EXPECT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi), kNoDrop);
  EXPECT_EQ(std::memcmp(f.data(), peer_mac, 6), 0);
  EXPECT_EQ(std::memcmp(f.data() + 6, out.mac, 6), 0);
  EXPECT_EQ(pi.family, peer.family);
  EXPECT_EQ(pi.tos >> 2, dscp);
  EXPECT_EQ(std::memcmp(pi.dst, peer.b, peer.family == 4 ? 4 : 16), 0);
  EXPECT_EQ(pi.src_port, sport);
  EXPECT_EQ(pi.dst_port, dport);
  Addr src;
  src.family = peer.family;
  std::memcpy(src.b, pi.src, 16);
  std::vector<uint8_t> udp(f.begin() + pi.l4_off, f.end());
  uint16_t wire = get16(&udp[6]);
  udp[6] = 0;
  udp[7] = 0;
  EXPECT_EQ(wire, udpChecksum(src, peer, udp.data(), udp.size())) << "UDP checksum";
  return {f.begin() + pi.payload_off, f.begin() + pi.payload_off + pi.payload_len};
}

std::vector<uint8_t> protect(SrtpCtx& c, std::vector<uint8_t> p, bool rtcp = false) {
  auto len = static_cast<uint32_t>(p.size());
  p.resize(p.size() + kSrtpMaxTrailer);
  EXPECT_EQ(rtcp ? c.protectRtcp(p.data(), &len, static_cast<uint32_t>(p.size()))
                 : c.protectRtp(p.data(), &len, static_cast<uint32_t>(p.size())),
            kNoDrop);
  p.resize(len);
  return p;
}

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h = std::make_unique<Harness>(16);
    ASSERT_EQ(h->hello(), abi::kOk);
  }
  uint64_t addFlow(abi::FlowAdd f) {
    abi::Ack a = h->call(f.hdr);
    EXPECT_EQ(a.status, abi::kOk);
    return a.hdr.flow;
  }
  std::unique_ptr<Harness> h;
};

TEST(WorkerHandshake, RefusesOtherMajorAndCommandsBeforeHello) {
  Harness h(4);
  abi::FlowDel d{};
  d.hdr.type = abi::MsgType::FlowDel;
  d.hdr.size = sizeof(d);
  EXPECT_EQ(h.call(d.hdr).status, abi::kErrProto);
  EXPECT_EQ(h.hello(abi::kAbiMajor + 1), abi::kErrProto);
  EXPECT_EQ(h.call(d.hdr).status, abi::kErrProto);
  EXPECT_EQ(h.hello(), abi::kOk);
  EXPECT_EQ(h.call(d.hdr).status, abi::kErrNoEnt);
}

TEST_F(WorkerTest, AnswersArpForItsAddressOnly) {
  std::vector<uint8_t> f(42);
  std::memset(f.data(), 0xff, 6);
  std::memcpy(&f[6], kPeerWanMac, 6);
  put16(f, 12, 0x0806);
  put16(f, 14, 1);
  put16(f, 16, 0x0800);
  f[18] = 6;
  f[19] = 4;
  put16(f, 20, 1);
  std::memcpy(&f[22], kPeerWanMac, 6);
  std::memcpy(&f[28], kWanPeer.b, 4);
  uint8_t ours[4] = {198, 18, 2, 1};
  std::memcpy(&f[38], ours, 4);
  h->rx(0, f);
  h->pass();
  auto out = h->tx(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(get16(&out[0][20]), 2);                         // reply
  EXPECT_EQ(std::memcmp(&out[0][22], h->wan().mac, 6), 0);  // our MAC
  EXPECT_EQ(std::memcmp(&out[0][28], ours, 4), 0);
  EXPECT_EQ(std::memcmp(&out[0][0], kPeerWanMac, 6), 0);
  f[41] = 9;  // someone else's address
  h->rx(0, f);
  h->pass();
  EXPECT_TRUE(h->tx(0).empty());
  EXPECT_EQ(h->ctx().stats->ports[0].arp_nd_ignored, 1u);
  EXPECT_EQ(h->totalDrops(0), 0u);  // read, not answered: no packet was lost
}

TEST_F(WorkerTest, AnswersNeighbourSolicitation) {
  Addr target = v6(0x2001, 2, 0, 2, 1);
  std::vector<uint8_t> f(14 + 40 + 32);
  uint8_t mcast[6] = {0x33, 0x33, 0xff, 0, 0, 1};
  std::memcpy(f.data(), mcast, 6);
  std::memcpy(&f[6], kPeerWanMac, 6);
  put16(f, 12, 0x86dd);
  f[14] = 0x60;
  put16(f, 18, 32);
  f[20] = 58;
  f[21] = 255;
  std::memcpy(&f[22], kWanPeer6.b, 16);
  uint8_t group[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1};
  std::memcpy(&f[38], group, 16);
  f[54] = 135;
  std::memcpy(&f[62], target.b, 16);
  f[78] = 1;
  f[79] = 1;
  std::memcpy(&f[80], kPeerWanMac, 6);
  h->rx(0, f);
  h->pass();
  auto out = h->tx(0);
  ASSERT_EQ(out.size(), 1u);
  const auto& na = out[0];
  ASSERT_EQ(na.size(), 14u + 40 + 32);
  EXPECT_EQ(na[54], 136);
  EXPECT_EQ(std::memcmp(&na[62], target.b, 16), 0);
  EXPECT_EQ(std::memcmp(&na[80], h->wan().mac, 6), 0);
  EXPECT_EQ(std::memcmp(&na[38], kWanPeer6.b, 16), 0);
  // ICMPv6 checksum over the pseudo-header.
  std::vector<uint8_t> ph(na.begin() + 22, na.begin() + 54);
  std::vector<uint8_t> tail = {0, 0, 0, 32, 0, 0, 0, 58};
  ph.insert(ph.end(), tail.begin(), tail.end());
  ph.insert(ph.end(), na.begin() + 54, na.end());
  EXPECT_EQ(refChecksum(ph), 0);
  // The peer was learnt from its source link-layer option.
  EXPECT_NE(h->ctx().neigh.find(6, 0, kWanPeer6.b), kNoNeigh);
}

TEST_F(WorkerTest, RelaysRtpWithDscpChecksumsAndStrictSource) {
  h->learnPeers();
  uint64_t flow = addFlow(makeFlow(*h, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000));
  auto rtp = rtpPacket(1, 160, 0x1234, 160);
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtp));
  h->pass();
  auto out = h->tx(1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(checkEgress(out[0], h->lan(), kPeerLanMac, kLanPeer, 30000, 5000, 46), rtp);
  // Wrong source port, wrong source address, unallocated port: nothing leaves, all counted.
  h->rx(0, fromWan(*h, kWanPeer, 4001, 20000, rtp));
  h->rx(0, fromWan(*h, v4(198, 18, 2, 99), 4000, 20000, rtp));
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20002, rtp));
  h->pass();
  EXPECT_TRUE(h->tx(1).empty());
  EXPECT_TRUE(h->tx(0).empty()) << "a prober must receive nothing";
  EXPECT_EQ(h->drops(0, DropReason::WrongSource), 2u);
  EXPECT_EQ(h->drops(0, DropReason::NoFlow), 1u);
  EXPECT_EQ(h->ctx().flow_stats[abi::unpackHandle(flow).index].packets, 1u);
  EXPECT_EQ(h->ctx().flow_stats[abi::unpackHandle(flow).index].drops, 2u);
}

TEST_F(WorkerTest, RelaysBetweenIpv6AndIpv4) {
  h->learnPeers();
  auto f = makeFlow(*h, 0, 20000, kWanPeer6, 4000, 1, 30000, kLanPeer, 5000);
  f.dscp = 34;
  addFlow(f);
  addFlow(makeFlow(*h, 1, 30000, kLanPeer, 5000, 0, 20000, kWanPeer6, 4000));
  auto rtp = rtpPacket(7, 160, 0x99, 100);
  h->rx(0, fromWan(*h, kWanPeer6, 4000, 20000, rtp));
  h->rx(1, udpFrame(h->lan().mac, kPeerLanMac, kLanPeer, v4(198, 18, 4, 1), 5000, 30000, rtp));
  h->pass();
  auto lan = h->tx(1);
  auto wan = h->tx(0);
  ASSERT_EQ(lan.size(), 1u);
  ASSERT_EQ(wan.size(), 1u);
  EXPECT_EQ(checkEgress(lan[0], h->lan(), kPeerLanMac, kLanPeer, 30000, 5000, 34), rtp);
  EXPECT_EQ(checkEgress(wan[0], h->wan(), kPeerWanMac, kWanPeer6, 20000, 4000, 46), rtp);
}

struct Variant {
  abi::SrtpSuite in;
  abi::SrtpSuite out;
};

class SrtpVariants : public WorkerTest, public ::testing::WithParamInterface<Variant> {};

TEST_P(SrtpVariants, ReKeysBothDirectionsByteIdentical) {
  h->learnPeers();
  Variant v = GetParam();
  auto f = makeFlow(*h, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000);
  f.flags |= abi::kFlowRtcpMuxIn;
  f.srtp_in = testKey(v.in, 1);
  f.srtp_out = testKey(v.out, 2);
  addFlow(f);
  SrtpCtx sender;
  SrtpCtx receiver;
  ASSERT_EQ(sender.init(testKey(v.in, 1), SrtpCtx::Dir::Outbound), abi::kOk);
  ASSERT_EQ(receiver.init(testKey(v.out, 2), SrtpCtx::Dir::Inbound), abi::kOk);
  for (uint16_t seq = 1; seq <= 5; ++seq) {
    auto rtp = rtpPacket(seq, seq * 160u, 0xabcdef, 160);
    auto wire = sender.active() ? protect(sender, rtp) : rtp;
    h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, wire));
    h->pass();
    auto out = h->tx(1);
    ASSERT_EQ(out.size(), 1u) << "seq " << seq;
    auto got = checkEgress(out[0], h->lan(), kPeerLanMac, kLanPeer, 30000, 5000, 46);
    if (receiver.active()) {
      auto len = static_cast<uint32_t>(got.size());
      ASSERT_EQ(receiver.unprotectRtp(got.data(), &len), kNoDrop);
      got.resize(len);
    }
    EXPECT_EQ(got, rtp);
  }
  // RTCP on the muxed port.
  auto rtcp = rtcpPacket(0xabcdef);
  h->rx(0,
        fromWan(*h, kWanPeer, 4000, 20000, sender.active() ? protect(sender, rtcp, true) : rtcp));
  h->pass();
  auto out = h->tx(1);
  ASSERT_EQ(out.size(), 1u);
  auto got = checkEgress(out[0], h->lan(), kPeerLanMac, kLanPeer, 30000, 5000, 46);
  if (receiver.active()) {
    auto len = static_cast<uint32_t>(got.size());
    ASSERT_EQ(receiver.unprotectRtcp(got.data(), &len), kNoDrop);
    got.resize(len);
  }
  EXPECT_EQ(got, rtcp);
  if (sender.active()) {
    // Forged tag and a replay are dropped and counted; nothing leaves.
    auto wire = protect(sender, rtpPacket(6, 960, 0xabcdef, 160));
    auto forged = wire;
    forged.back() ^= 0x5a;
    h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, forged));
    h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, wire));
    h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, wire));
    h->pass();
    EXPECT_EQ(h->tx(1).size(), 1u);
    EXPECT_EQ(h->drops(0, DropReason::SrtpAuth), 1u);
    EXPECT_EQ(h->drops(0, DropReason::SrtpReplay), 1u);
  }
}

using S = abi::SrtpSuite;
INSTANTIATE_TEST_SUITE_P(All, SrtpVariants,
                         ::testing::Values(Variant{S::None, S::None},
                                           Variant{S::None, S::AesCm128HmacSha1_80},
                                           Variant{S::AesCm128HmacSha1_80, S::None},
                                           Variant{S::AesCm128HmacSha1_80, S::AesCm128HmacSha1_80},
                                           Variant{S::AesCm128HmacSha1_32, S::AesCm128HmacSha1_80},
                                           Variant{S::AeadAes128Gcm, S::AeadAes256Gcm},
                                           Variant{S::AeadAes256Gcm, S::AesCm128HmacSha1_32},
                                           Variant{S::None, S::AeadAes128Gcm}));

TEST_F(WorkerTest, RtcpMuxToSeparatePortAndBack) {
  h->learnPeers();
  // wan (rtcp-mux on 20000) -> lan (RTP 30000->5000, RTCP 30001->5001)
  auto a = makeFlow(*h, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000);
  a.flags |= abi::kFlowRtcpMuxIn;
  a.out_rtcp_local_port = 30001;
  a.out_rtcp_remote_port = 5001;
  addFlow(a);
  // lan RTCP port 30001 (from 5001) -> wan mux port.
  auto b = makeFlow(*h, 1, 30001, kLanPeer, 5001, 0, 20000, kWanPeer, 4000);
  b.flags |= abi::kFlowRtcpOnly;
  addFlow(b);
  auto rtp = rtpPacket(1, 160, 5, 20);
  auto rtcp = rtcpPacket(5);
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtp));
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtcp));
  h->pass();
  auto out = h->tx(1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(checkEgress(out[0], h->lan(), kPeerLanMac, kLanPeer, 30000, 5000, 46), rtp);
  EXPECT_EQ(checkEgress(out[1], h->lan(), kPeerLanMac, kLanPeer, 30001, 5001, 46), rtcp);
  h->rx(1, udpFrame(h->lan().mac, kPeerLanMac, kLanPeer, v4(198, 18, 4, 1), 5001, 30001, rtcp));
  h->rx(1, udpFrame(h->lan().mac, kPeerLanMac, kLanPeer, v4(198, 18, 4, 1), 5001, 30001, rtp));
  h->pass();
  auto back = h->tx(0);
  ASSERT_EQ(back.size(), 1u) << "RTP on the RTCP port is dropped";
  EXPECT_EQ(checkEgress(back[0], h->wan(), kPeerWanMac, kWanPeer, 20000, 4000, 46), rtcp);
  EXPECT_EQ(h->drops(1, DropReason::RtcpNotMux), 1u);
}

TEST_F(WorkerTest, LatchesOnlyOnAuthenticatedSrtpInsideTheWindow) {
  h->learnPeers();
  auto f = makeFlow(*h, 0, 20000, kWanPeer, 0, 1, 30000, kLanPeer, 5000);
  std::memset(f.in_remote.addr, 0, 16);
  f.flags |= abi::kFlowLatch;
  f.latch_window_ms = 2000;
  f.srtp_in = testKey(S::AesCm128HmacSha1_80, 1);
  uint64_t flow = addFlow(f);
  SrtpCtx attacker;
  SrtpCtx sender;
  ASSERT_EQ(attacker.init(testKey(S::AesCm128HmacSha1_80, 7), SrtpCtx::Dir::Outbound), abi::kOk);
  ASSERT_EQ(sender.init(testKey(S::AesCm128HmacSha1_80, 1), SrtpCtx::Dir::Outbound), abi::kOk);
  Addr evil = v4(198, 18, 2, 66);
  h->rx(0, fromWan(*h, evil, 666, 20000, protect(attacker, rtpPacket(1, 0, 9, 50))));
  h->rx(0, fromWan(*h, evil, 666, 20000, rtpPacket(1, 0, 9, 50)));
  h->pass();
  EXPECT_TRUE(h->tx(1).empty());
  EXPECT_EQ(h->drops(0, DropReason::SrtpAuth), 2u);
  h->rx(0, fromWan(*h, kWanPeer, 4444, 20000, protect(sender, rtpPacket(1, 0, 9, 50))));
  h->pass();
  EXPECT_EQ(h->tx(1).size(), 1u);
  // Latched: even a correctly keyed packet from elsewhere is now refused.
  h->rx(0, fromWan(*h, evil, 666, 20000, protect(sender, rtpPacket(2, 160, 9, 50))));
  h->pass();
  EXPECT_TRUE(h->tx(1).empty());
  EXPECT_EQ(h->drops(0, DropReason::WrongSource), 1u);
  abi::FlowQuery q{};
  q.hdr.type = abi::MsgType::FlowQuery;
  q.hdr.size = sizeof(q);
  q.hdr.flow = flow;
  q.hdr.seq = 999;
  // The query answer reports the latched remote.
  abi::Ack a = h->call(q.hdr);
  EXPECT_EQ(a.status, abi::kOk);
}

// DTLS on a programmed port goes to the control plane; STUN never does any more (a flow
// without ICE credentials drops it, counted; ice_test.cc covers ICE-lite).
TEST_F(WorkerTest, PuntsDtlsOnProgrammedPortsOnly) {
  h->learnPeers();
  uint64_t flow = addFlow(makeFlow(*h, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000));
  std::vector<uint8_t> stun(20, 0);
  stun[1] = 1;
  std::vector<uint8_t> dtls(40, 22);
  h->rx(0, fromWan(*h, v4(198, 18, 2, 77), 9999, 20000, stun));  // no ICE state: dropped
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, dtls));
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20002, dtls));                          // no flow there
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, std::vector<uint8_t>(30, 70)));  // unknown
  h->pass();
  std::vector<std::vector<uint8_t>> p;
  ASSERT_EQ(h->punted(&p), 1u);
  abi::PacketSlot s;
  std::memcpy(&s, p[0].data(), sizeof(s));
  EXPECT_EQ(s.kind, abi::kPacketDtls);
  EXPECT_EQ(s.len, 40);
  EXPECT_EQ(s.flow, flow);
  EXPECT_EQ(s.remote.port, 4000);
  EXPECT_EQ(h->drops(0, DropReason::NoIceState), 1u);
  EXPECT_EQ(h->drops(0, DropReason::NoFlow), 1u);
  EXPECT_EQ(h->drops(0, DropReason::NotRtp), 1u);
  EXPECT_TRUE(h->tx(0).empty());
  EXPECT_TRUE(h->tx(1).empty());
}

TEST_F(WorkerTest, InjectsPacketsFromTheControlPlane) {
  h->learnPeers();
  abi::PacketSlot s{};
  s.port = 0;
  s.family = 4;
  s.len = 24;
  std::memcpy(s.local.addr, h->wan().v4, 4);
  s.local.port = 20000;
  std::memcpy(s.remote.addr, kWanPeer.b, 4);
  s.remote.port = 4000;
  std::vector<uint8_t> payload(24, 0x17);
  ASSERT_TRUE(h->injectPacket(s, payload));
  s.local.addr[3] = 77;  // not our address: refused
  ASSERT_TRUE(h->injectPacket(s, payload));
  h->pass();
  auto out = h->tx(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(checkEgress(out[0], h->wan(), kPeerWanMac, kWanPeer, 20000, 4000, 46), payload);
  EXPECT_EQ(h->ctx().stats->inject_refused, 1u);
  EXPECT_EQ(h->totalDrops(0), 0u);  // a refused slot is no port's packet drop
}

// The lan peer's answer (from `mac`) to the dataplane's ARP request `req` for kLanPeer.
std::vector<uint8_t> arpReplyTo(const std::vector<uint8_t>& req, const uint8_t* mac) {
  auto rep = req;
  std::memcpy(&rep[0], &req[6], 6);  // to the requester
  std::memcpy(&rep[6], mac, 6);
  put16(rep, 20, 2);
  std::memcpy(&rep[22], mac, 6);
  std::memcpy(&rep[28], &req[38], 4);  // sender: the address asked for
  std::memcpy(&rep[32], &req[22], 6);  // target: the requester's MAC and address
  std::memcpy(&rep[38], &req[28], 4);
  return rep;
}

TEST_F(WorkerTest, ResolvesNextHopByArpAndReleasesParkedPackets) {
  addFlow(makeFlow(*h, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000));
  h->learnPeers();
  // Forget the lan peer so the flow's next hop is unresolved.
  uint16_t n = h->ctx().neigh.find(4, 1, kLanPeer.b);
  ASSERT_NE(n, kNoNeigh);
  h->ctx().neigh.at(n).state = NeighState::Incomplete;
  h->ctx().neigh.at(n).probes = 0;
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtpPacket(1, 0, 1, 20)));
  h->pass();
  auto req = h->tx(1);
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(get16(&req[0][12]), 0x0806);
  EXPECT_EQ(std::memcmp(&req[0][38], kLanPeer.b, 4), 0);
  // The ARP reply releases the parked packet.
  h->rx(1, arpReplyTo(req[0], kPeerLanMac));
  h->pass();
  auto out = h->tx(1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::memcmp(out[0].data(), kPeerLanMac, 6), 0);
}

// A next hop in use is re-confirmed after 30 s of silence (the old MAC stays in use), follows
// a MAC change the answer brings, and is forgotten when three probes go unanswered.
TEST_F(WorkerTest, ReconfirmsStaleNextHopAndForgetsSilentOne) {
  addFlow(makeFlow(*h, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000));
  h->learnPeers();
  uint16_t n = h->ctx().neigh.find(4, 1, kLanPeer.b);
  ASSERT_NE(n, kNoNeigh);
  Neighbour& nb = h->ctx().neigh.at(n);
  auto makeStale = [&] {
    nb.confirmed_tsc = rte_rdtsc() - 31 * h->ctx().tsc_hz;
    nb.next_probe_tsc = 0;
    h->ctx().next_neigh_timer_tsc = 0;
  };
  makeStale();
  h->pass();
  auto req = h->tx(1);
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(get16(&req[0][12]), 0x0806);
  EXPECT_EQ(std::memcmp(&req[0][38], kLanPeer.b, 4), 0);
  EXPECT_EQ(nb.state, NeighState::Reachable);
  // Media keeps flowing to the known MAC while the entry is being re-confirmed.
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtpPacket(1, 0, 1, 20)));
  h->pass();
  auto out = h->tx(1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::memcmp(out[0].data(), kPeerLanMac, 6), 0);
  // The answer comes from a new MAC (the peer failed over): media follows it.
  static constexpr uint8_t kMovedMac[6] = {0x02, 0x00, 0x00, 0x00, 0x04, 0x99};
  h->rx(1, arpReplyTo(req[0], kMovedMac));
  h->pass();
  EXPECT_EQ(nb.stale_probes, 0);
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtpPacket(2, 160, 1, 20)));
  h->pass();
  out = h->tx(1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::memcmp(out[0].data(), kMovedMac, 6), 0);
  // Silence after three probes: the entry is forgotten and counted, media parks, and a new
  // resolution starts.
  makeStale();
  for (uint32_t i = 0; i < kMaxProbes; ++i) {
    nb.next_probe_tsc = 0;
    h->ctx().next_neigh_timer_tsc = 0;
    h->pass();
    EXPECT_EQ(h->tx(1).size(), 1u) << "probe " << i;
  }
  EXPECT_EQ(nb.state, NeighState::Reachable);
  nb.next_probe_tsc = 0;
  h->ctx().next_neigh_timer_tsc = 0;
  h->pass();
  EXPECT_EQ(nb.state, NeighState::Incomplete);
  EXPECT_EQ(h->ctx().stats->neigh_expired, 1u);
  h->tx(1);
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtpPacket(3, 320, 1, 20)));
  h->pass();
  out = h->tx(1);
  ASSERT_EQ(out.size(), 1u);  // the ARP request, not the media packet
  EXPECT_EQ(get16(&out[0][12]), 0x0806);
  EXPECT_EQ(h->ctx().pending_n, 1u);
}

// The context starts with its clock set: the stats region's times are monotonic from the
// first command on, before the first pass has read the TSC.
TEST(WorkerContext, StartsWithItsClockAndEpochSet) {
  ASSERT_TRUE(ensureEal());
  Harness h(4);
  EXPECT_NE(h.ctx().mono_base_ns, 0u);
  EXPECT_EQ(h.ctx().now_ns, h.ctx().mono_base_ns);
  EXPECT_EQ(h.ctx().epoch, 1234u);
  EXPECT_EQ(h.ctx().steer, nullptr);
  EXPECT_FALSE(h.ctx().attached);
  EXPECT_EQ(h.ctx().pending_n, 0u);
}

// Two workers sharing the ports, as RSS or af_packet fanout make them: a packet that arrives on
// worker 0's queue for worker 1's flow is handed over and leaves from worker 1; the answer to
// worker 1's ARP request arrives at worker 0, which passes the MAC on; a full handoff ring is
// a counted drop; a deleted flow's port is nobody's again.
TEST(WorkerSteering, HandsPacketsToTheFlowOwnerAndSharesNeighbours) {
  ASSERT_TRUE(ensureEal());
  Steering steer;
  ASSERT_TRUE(steer.init(2, "tsteer"));
  Harness w0(16, 0, &steer);
  Harness w1(16, 1, &steer);
  ASSERT_EQ(w0.hello(), abi::kOk);
  ASSERT_EQ(w1.hello(), abi::kOk);
  auto add = makeFlow(w1, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000);
  abi::Ack a = w1.call(add.hdr);
  ASSERT_EQ(a.status, abi::kOk);
  auto dup = add;
  EXPECT_EQ(w0.call(dup.hdr).status, abi::kErrExist) << "the port is worker 1's";
  FlowKey key{};
  key.family = 4;
  key.iface = 0;
  key.port = 20000;
  EXPECT_EQ(steer.owner(key), 1);

  auto rtp = rtpPacket(1, 160, 0x1234, 160);
  w0.rx(0, fromWan(w0, kWanPeer, 4000, 20000, rtp));
  w0.pass();
  EXPECT_EQ(w0.ctx().stats->handoff_out, 1u);
  EXPECT_TRUE(w0.tx(1).empty());
  EXPECT_EQ(w0.drops(0, DropReason::NoFlow), 0u);
  w1.pass();  // takes the packet over; its next hop is unknown: parked, ARP request sent
  EXPECT_EQ(w1.ctx().stats->handoff_in, 1u);
  EXPECT_EQ(w1.ctx().stats->ports[0].rx_packets, 0u) << "counted once, by the receiving worker";
  auto req = w1.tx(1);
  ASSERT_EQ(req.size(), 1u);
  ASSERT_EQ(get16(&req[0][12]), 0x0806);
  EXPECT_EQ(w1.ctx().pending_n, 1u);

  w0.rx(1, arpReplyTo(req[0], kPeerLanMac));
  w0.pass();  // the reply lands on worker 0's queue
  w1.pass();  // worker 1 learns it from worker 0 and releases the parked packet
  auto out = w1.tx(1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(checkEgress(out[0], w1.lan(), kPeerLanMac, kLanPeer, 30000, 5000, 46), rtp);
  EXPECT_EQ(w1.ctx().pending_n, 0u);

  // More than the handoff ring holds while the owner is not polling: the excess is counted.
  constexpr uint32_t kExtra = 5;
  for (uint32_t i = 0; i < kHandoffSlots - 1 + kExtra; ++i) {
    w0.rx(0, fromWan(w0, kWanPeer, 4000, 20000,
                     rtpPacket(static_cast<uint16_t>(2 + i), 320, 0x1234, 160)));
  }
  w0.pass((kHandoffSlots + kExtra) / kBurst + 2);
  // An rte_ring of 4096 slots holds 4095.
  EXPECT_EQ(w0.ctx().stats->handoff_out, 1u + kHandoffSlots - 1);
  EXPECT_EQ(w0.drops(0, DropReason::HandoffFull), kExtra);
  w1.pass(kHandoffSlots / kBurst + 2);
  EXPECT_EQ(w1.tx(1).size(), kHandoffSlots - 1);
  EXPECT_EQ(w1.ctx().flow_stats[abi::unpackHandle(a.hdr.flow).index].packets, kHandoffSlots);

  abi::FlowDel d{};
  d.hdr.type = abi::MsgType::FlowDel;
  d.hdr.size = sizeof(d);
  d.hdr.flow = a.hdr.flow;
  ASSERT_EQ(w1.call(d.hdr).status, abi::kOk);
  EXPECT_EQ(steer.owner(key), -1);
  w0.rx(0, fromWan(w0, kWanPeer, 4000, 20000, rtp));
  w0.pass();
  EXPECT_EQ(w0.drops(0, DropReason::NoFlow), 1u);
  EXPECT_EQ(w0.ctx().stats->handoff_out, kHandoffSlots);
}

// A full neighbour table is not a full flow table: the Ack says which (ENOBUFS, not ENOSPC).
TEST(WorkerNeighbours, FullNeighbourTableIsItsOwnStatus) {
  ASSERT_TRUE(ensureEal());
  Harness h(kNeighCapacity + 8);
  ASSERT_EQ(h.hello(), abi::kOk);
  auto flowTo = [&](uint32_t i) {
    Addr peer = v6(0x2001, 2, 0, 4, 0);
    peer.b[14] = static_cast<uint8_t>((i + 2) >> 8);
    peer.b[15] = static_cast<uint8_t>(i + 2);
    return makeFlow(h, 0, static_cast<uint16_t>(20000 + i), kWanPeer, 4000, 1, 30000, peer, 5000);
  };
  for (uint32_t i = 0; i < kNeighCapacity; ++i) {
    auto f = flowTo(i);
    ASSERT_EQ(h.call(f.hdr).status, abi::kOk) << i;
  }
  auto f = flowTo(kNeighCapacity);
  EXPECT_EQ(h.call(f.hdr).status, abi::kErrNeighFull);
  EXPECT_EQ(h.ctx().stats->neigh_table_full, 1u);
  EXPECT_EQ(h.ctx().stats->commands_refused, 1u);
  EXPECT_EQ(h.ctx().flows.live(), kNeighCapacity);
}

TEST_F(WorkerTest, QueryDumpDeleteAndTableFull) {
  h->learnPeers();
  std::vector<uint64_t> flows;
  for (uint16_t i = 0; i < 16; ++i) {
    flows.push_back(addFlow(makeFlow(*h, 0, static_cast<uint16_t>(20000 + i), kWanPeer, 4000, 1,
                                     30000, kLanPeer, 5000)));
  }
  auto f = makeFlow(*h, 0, 21000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000);
  EXPECT_EQ(h->call(f.hdr).status, abi::kErrNoSpace);
  EXPECT_EQ(h->ctx().stats->commands_refused, 1u);
  EXPECT_EQ(h->totalDrops(0), 0u);  // a refused command is not a packet drop
  abi::FlowDump d{};
  d.hdr.type = abi::MsgType::FlowDump;
  d.hdr.size = sizeof(d);
  d.hdr.seq = 77;
  h->call(d.hdr);  // no Ack for a dump: FlowDumpEnd answers it
  h->pass(3);
  uint32_t infos = 0;
  uint32_t ends = 0;
  for (auto& e : h->events()) {
    abi::MsgHeader hd;
    std::memcpy(&hd, e.data(), sizeof(hd));
    infos += hd.type == abi::MsgType::FlowInfo;
    if (hd.type == abi::MsgType::FlowDumpEnd) {
      abi::FlowDumpEnd end;
      std::memcpy(&end, e.data(), sizeof(end));
      EXPECT_EQ(end.flows, 16u);
      ++ends;
    }
  }
  EXPECT_EQ(infos, 16u);
  EXPECT_EQ(ends, 1u);
  abi::FlowDel del{};
  del.hdr.type = abi::MsgType::FlowDel;
  del.hdr.size = sizeof(del);
  del.hdr.flow = flows[3];
  EXPECT_EQ(h->call(del.hdr).status, abi::kOk);
  EXPECT_EQ(h->call(del.hdr).status, abi::kErrNoEnt);
  EXPECT_EQ(h->ctx().flows.live(), 15u);
  abi::FlowAdd bad = makeFlow(*h, 0, 22000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000);
  bad.srtp_in.suite = S::AesCm128HmacSha1_80;
  bad.srtp_in.key_len = 3;
  EXPECT_EQ(h->call(bad.hdr).status, abi::kErrInval);
  bad = makeFlow(*h, 0, 22000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000);
  bad.in_local.addr[3] = 9;  // not our address
  EXPECT_EQ(h->call(bad.hdr).status, abi::kErrInval);
}

TEST_F(WorkerTest, StatsLossJitterAndEvents) {
  h->learnPeers();
  auto f = makeFlow(*h, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000);
  f.idle_timeout_s = 1;
  uint64_t flow = addFlow(f);
  for (uint16_t seq : {1, 2, 4, 5}) {
    h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtpPacket(seq, seq * 160u, 0x55, 20)));
  }
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtpPacket(9, 0, 0x66, 20)));  // new SSRC
  h->pass();
  EXPECT_EQ(h->tx(1).size(), 5u);
  const FlowStats& fs = h->ctx().flow_stats[abi::unpackHandle(flow).index];
  EXPECT_EQ(fs.packets, 5u);
  EXPECT_EQ(fs.ssrc, 0x66u);
  bool ssrc_event = false;
  for (auto& e : h->events()) {
    abi::SsrcChange sc;
    std::memcpy(&sc, e.data(), sizeof(sc));
    if (sc.hdr.type == abi::MsgType::SsrcChange) {
      ssrc_event = sc.old_ssrc == 0x55 && sc.new_ssrc == 0x66 && sc.cookie == 42;
    }
  }
  EXPECT_TRUE(ssrc_event);
  // Loss before the SSRC change: seq 3 missing.
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtpPacket(11, 320, 0x66, 20)));
  h->pass();
  EXPECT_EQ(fs.rtp_lost, 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  h->pass();
  bool idle = false;
  for (auto& e : h->events()) {
    abi::FlowIdle fi;
    std::memcpy(&fi, e.data(), sizeof(fi));
    idle = idle || (fi.hdr.type == abi::MsgType::FlowIdle && fi.hdr.flow == flow);
  }
  EXPECT_TRUE(idle);
}

TEST_F(WorkerTest, RewritesSsrcAndReKeysThroughFlowModify) {
  h->learnPeers();
  auto f = makeFlow(*h, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000);
  f.ssrc_rewrite = 0xcafef00d;
  f.srtp_out = testKey(S::AesCm128HmacSha1_80, 5);
  uint64_t flow = addFlow(f);
  SrtpCtx rx5;
  ASSERT_EQ(rx5.init(testKey(S::AesCm128HmacSha1_80, 5), SrtpCtx::Dir::Inbound), abi::kOk);
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtpPacket(1, 0, 0x1111, 40)));
  h->pass();
  auto out = h->tx(1);
  ASSERT_EQ(out.size(), 1u);
  auto got = checkEgress(out[0], h->lan(), kPeerLanMac, kLanPeer, 30000, 5000, 46);
  auto len = static_cast<uint32_t>(got.size());
  ASSERT_EQ(rx5.unprotectRtp(got.data(), &len), kNoDrop);
  EXPECT_EQ(get32(&got[8]), 0xcafef00du);
  // Re-key: the same handle now protects with another key and keeps its counters.
  abi::FlowAdd m = f;
  m.hdr.type = abi::MsgType::FlowModify;
  m.hdr.flow = flow;
  m.srtp_out = testKey(S::AeadAes128Gcm, 6);
  EXPECT_EQ(h->call(m.hdr).status, abi::kOk);
  SrtpCtx rx6;
  ASSERT_EQ(rx6.init(testKey(S::AeadAes128Gcm, 6), SrtpCtx::Dir::Inbound), abi::kOk);
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, rtpPacket(2, 160, 0x1111, 40)));
  h->pass();
  out = h->tx(1);
  ASSERT_EQ(out.size(), 1u);
  got = checkEgress(out[0], h->lan(), kPeerLanMac, kLanPeer, 30000, 5000, 46);
  len = static_cast<uint32_t>(got.size());
  ASSERT_EQ(rx6.unprotectRtp(got.data(), &len), kNoDrop);
  EXPECT_EQ(h->ctx().flow_stats[abi::unpackHandle(flow).index].packets, 2u);
  m.hdr.flow = flow + 1;  // wrong index
  EXPECT_EQ(h->call(m.hdr).status, abi::kErrNoEnt);
}

TEST_F(WorkerTest, GarbageIsDroppedAndCounted) {
  h->learnPeers();
  addFlow(makeFlow(*h, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000));
  auto good = fromWan(*h, kWanPeer, 4000, 20000, rtpPacket(1, 0, 1, 100));
  for (size_t len = 0; len < 60; len += 3) {
    h->rx(0, std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(len)));
  }
  auto bad_udp = good;
  put16(bad_udp, 34 + 4, 2000);
  h->rx(0, bad_udp);
  std::vector<uint8_t> junk(300);
  for (size_t i = 0; i < junk.size(); ++i) {
    junk[i] = static_cast<uint8_t>(i * 131);
  }
  h->rx(0, junk);
  h->rx(0, fromWan(*h, kWanPeer, 4000, 20000, std::vector<uint8_t>(5, 0x80)));  // short RTP
  h->rx(0, good);
  h->pass(2);
  EXPECT_EQ(h->tx(1).size(), 1u) << "the legitimate packet still goes through";
  EXPECT_GE(h->drops(0, DropReason::Malformed), 15u);
}

}  // namespace
}  // namespace rampart::dp::test
