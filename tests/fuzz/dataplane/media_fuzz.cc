// Fuzz target: the worker's real media path with programmed flows. Each input gets a fresh
// worker (EAL and the two net_ring ports are set up once per process) with one flow of each
// kind, then feeds it records of untrusted bytes: UDP payloads sent to a flow's port from its
// peer or a stranger, optionally SRTP/SRTCP-protected with the peer's key first (so that the
// bytes reach what follows authentication: RFC 3550 statistics, SSRC rewrite, latching, the
// rtcp-mux split and protect with the out leg's key), or whole Ethernet frames. Every record
// runs one worker pass.
//
// Input: byte 0 (bit 0: the peers' MACs are known, else packets park and solicitations go out),
// then records [selector][length][length bytes]:
//   selector bits 0-2: flow 0-5, or 6/7 for a raw frame on the wan/lan port
//   bit 3: from a stranger rather than the flow's peer
//   bit 4: protect with the peer's key first (flows with an SRTP inbound leg)
//   bit 5: protect as SRTCP rather than SRTP
// Invariants: every frame sent parses as a well-formed frame, and every mbuf comes back to
// the pool once the worker is gone (none leaked, none freed twice).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <rte_mempool.h>

#include "harness.h"
#include "pkt/parse.h"
#include "srtp/srtp_ctx.h"

namespace {

using namespace rampart;
using namespace rampart::dp;
using namespace rampart::dp::test;

const Addr kWanPeer = v4(198, 18, 2, 2);
const Addr kLanPeer = v4(198, 18, 4, 2);
const Addr kWanPeer6 = v6(0x2001, 2, 0, 2, 2);
const Addr kStranger = v4(198, 18, 2, 99);
const Addr kStranger6 = v6(0x2001, 2, 0, 2, 99);
constexpr uint32_t kFlows = 6;

// One programmed flow and the sending side of its inbound leg.
struct FlowUnderTest {
  uint32_t in_iface;
  uint16_t local_port;
  Addr peer;
  uint16_t peer_port;
  std::unique_ptr<SrtpCtx> sender;  // nullptr: the inbound leg is plain
};

abi::FlowAdd flowOfKind(const Harness& h, uint32_t kind) {
  using S = abi::SrtpSuite;
  abi::FlowAdd f{};
  switch (kind) {
    case 0:  // plain RTP, strict source
      f = makeFlow(h, 0, 20000, kWanPeer, 4000, 1, 30000, kLanPeer, 5000);
      break;
    case 1:  // SRTP in, plain out, latching on the first authenticated packet
      f = makeFlow(h, 0, 20002, kWanPeer, 0, 1, 30002, kLanPeer, 5002);
      f.flags |= abi::kFlowLatch;
      f.srtp_in = testKey(S::AesCm128HmacSha1_80, 1);
      break;
    case 2:  // plain in, SRTP (GCM) out with SSRC rewrite, lan to wan
      f = makeFlow(h, 1, 30004, kLanPeer, 5004, 0, 20004, kWanPeer, 4004);
      f.srtp_out = testKey(S::AeadAes128Gcm, 2);
      f.ssrc_rewrite = 0x11223344;
      break;
    case 3:  // rtcp-mux in, SRTP both ways, RTCP leaves on its own ports
      f = makeFlow(h, 0, 20006, kWanPeer, 4006, 1, 30006, kLanPeer, 5006);
      f.flags |= abi::kFlowRtcpMuxIn;
      f.srtp_in = testKey(S::AesCm128HmacSha1_32, 3);
      f.srtp_out = testKey(S::AeadAes256Gcm, 4);
      f.out_rtcp_local_port = 30007;
      f.out_rtcp_remote_port = 5007;
      break;
    case 4:  // a separate RTCP port
      f = makeFlow(h, 0, 20009, kWanPeer, 4009, 1, 30009, kLanPeer, 5009);
      f.flags |= abi::kFlowRtcpOnly;
      f.srtp_in = testKey(S::AesCm128HmacSha1_80, 5);
      f.srtp_out = testKey(S::AesCm128HmacSha1_80, 6);
      break;
    default:  // IPv6 in, IPv4 out, video DSCP, latching
      f = makeFlow(h, 0, 20010, kWanPeer6, 4010, 1, 30010, kLanPeer, 5010);
      f.flags |= abi::kFlowLatch | abi::kFlowVideo;
      f.srtp_in = testKey(S::AeadAes128Gcm, 7);
      f.clock_rate = 90000;
      break;
  }
  return f;
}

std::vector<FlowUnderTest> programFlows(Harness& h) {
  std::vector<FlowUnderTest> flows;
  for (uint32_t kind = 0; kind < kFlows; ++kind) {
    abi::FlowAdd f = flowOfKind(h, kind);
    FlowUnderTest t{f.in_port, f.in_local.port, {}, f.in_remote.port, nullptr};
    t.peer.family = (f.flags & abi::kFlowIpv6) != 0 ? 6 : 4;
    std::memcpy(t.peer.b, f.in_remote.addr, 16);
    if (t.peer_port == 0) {  // latching: the peer that will send
      t.peer = kind == 5 ? kWanPeer6 : kWanPeer;
      t.peer_port = static_cast<uint16_t>(4000 + 2 * kind);
    }
    if (f.srtp_in.suite != abi::SrtpSuite::None) {
      t.sender = std::make_unique<SrtpCtx>();
      if (t.sender->init(f.srtp_in, SrtpCtx::Dir::Outbound) != abi::kOk) {
        std::abort();
      }
    }
    if (h.call(f.hdr).status != abi::kOk) {
      std::abort();
    }
    flows.push_back(std::move(t));
  }
  return flows;
}

std::vector<uint8_t> flowFrame(const Harness& h, FlowUnderTest& t, uint8_t selector,
                               std::vector<uint8_t> payload) {
  if ((selector & 0x10) != 0 && t.sender != nullptr) {
    auto len = static_cast<uint32_t>(payload.size());
    payload.resize(payload.size() + kSrtpMaxTrailer);
    auto cap = static_cast<uint32_t>(payload.size());
    DropReason r = (selector & 0x20) != 0 ? t.sender->protectRtcp(payload.data(), &len, cap)
                                          : t.sender->protectRtp(payload.data(), &len, cap);
    payload.resize(r == kNoDrop ? len : payload.size() - kSrtpMaxTrailer);
  }
  bool stranger = (selector & 0x08) != 0;
  const Addr& src = stranger ? (t.peer.family == 6 ? kStranger6 : kStranger) : t.peer;
  const Iface& in = t.in_iface == 0 ? h.wan() : h.lan();
  Addr dst;
  dst.family = t.peer.family;
  std::memcpy(dst.b, t.peer.family == 4 ? in.v4 : in.v6, t.peer.family == 4 ? 4 : 16);
  const uint8_t* mac = t.in_iface == 0 ? kPeerWanMac : kPeerLanMac;
  return udpFrame(in.mac, mac, src, dst, t.peer_port, t.local_port, payload);
}

void checkSent(Harness& h) {
  for (uint32_t iface = 0; iface < 2; ++iface) {
    for (const auto& f : h.tx(iface)) {
      PacketInfo pi;
      if (parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi) != kNoDrop) {
        std::abort();  // the worker built a frame it would itself refuse
      }
    }
  }
  std::vector<std::vector<uint8_t>> punted;
  h.punted(&punted);
  h.events();
}

// For corpus upkeep: what an input reached (RAMPART_MEDIA_FUZZ_STATS=1 in the environment).
void printCounters(Harness& h) {
  const WorkerStats& ws = *h.ctx().stats;
  for (uint32_t p = 0; p < 2; ++p) {
    std::fprintf(stderr, "port %u: rx %llu tx %llu punted %llu", p,
                 static_cast<unsigned long long>(ws.ports[p].rx_packets),
                 static_cast<unsigned long long>(ws.ports[p].tx_packets),
                 static_cast<unsigned long long>(ws.ports[p].punted));
    for (uint32_t r = 0; r < kDropReasonCount; ++r) {
      if (ws.ports[p].drops[r] != 0) {
        std::fprintf(stderr, " %s=%llu", dropReasonLabel(static_cast<DropReason>(r)),
                     static_cast<unsigned long long>(ws.ports[p].drops[r]));
      }
    }
    std::fprintf(stderr, "\n");
  }
}

void runInput(const uint8_t* data, size_t size) {
  Harness h(16);
  if (h.hello() != abi::kOk) {
    std::abort();
  }
  if ((data[0] & 1) != 0) {
    h.learnPeers();
  }
  std::vector<FlowUnderTest> flows = programFlows(h);
  size_t off = 1;
  while (off + 2 <= size) {
    uint8_t selector = data[off];
    size_t len = data[off + 1];
    off += 2;
    len = len < size - off ? len : size - off;
    std::vector<uint8_t> bytes(data + off, data + off + len);
    off += len;
    uint32_t which = selector & 7;
    if (which < kFlows) {
      h.rx(flows[which].in_iface, flowFrame(h, flows[which], selector, std::move(bytes)));
    } else {
      h.rx(which - kFlows, bytes);
    }
    h.pass();
    checkSent(h);
  }
  if (std::getenv("RAMPART_MEDIA_FUZZ_STATS") != nullptr) {
    printCounters(h);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 16384) {
    return 0;
  }
  if (!ensureEal()) {
    std::abort();
  }
  runInput(data, size);
  // The worker is gone and the rings drained: every mbuf is back in the pool.
  if (rte_mempool_in_use_count(testPool()) != 0) {
    std::abort();
  }
  return 0;
}
