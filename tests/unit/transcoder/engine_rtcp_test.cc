// The engine's RTCP termination over a real <shm> region, as the dataplane worker drives it:
// two paired sessions (one call's two transcoded directions, real G.711 codecs), RTP and the
// peers' RTCP in, Rampart's own reports out on the right flow with the right SSRCs, the round
// trip counted, bad RTCP counted, nothing relayed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rampart/platform/shm_region.h>
#include <rampart/platform/spsc_ring.h>

#include "engine.h"
#include "rtp_packet.h"
#include "xcode_rtcp.h"

namespace rampart::xc {
namespace {

constexpr uint64_t kX = 0x1001;  // receives leg A (PCMU), sends to leg B (PCMA)
constexpr uint64_t kY = 0x2002;  // receives leg B, sends to leg A
constexpr uint32_t kSsrcA = 0xaaaa0001;
constexpr uint32_t kSsrcB = 0xbbbb0002;

struct Out {
  uint8_t kind;
  uint64_t flow;
  std::vector<uint8_t> data;
};

class EngineRtcp : public ::testing::Test {
 protected:
  void SetUp() override {
    platform::RegionGeometry g;
    auto r = platform::ShmRegion::create("/rxr-unit-" + std::to_string(getpid()), g);
    ASSERT_TRUE(r.ok()) << r.error().message;
    region_ = std::move(r.value());
    in_ = platform::RingProducer(region_.ring(0, platform::RingKind::Punt));
    out_ = platform::RingConsumer(region_.ring(0, platform::RingKind::Inject));
    engine_ = std::make_unique<Engine>(region_);
    stats_ = static_cast<const XcStats*>(region_.stats(0));
  }

  void push(uint8_t kind, uint64_t flow, const void* data, std::size_t len) {
    ASSERT_GT(in_.freeSlots(1), 0u);
    auto* slot = static_cast<uint8_t*>(in_.slot(0));
    abi::PacketSlot h{};
    h.len = static_cast<uint16_t>(len);
    h.kind = kind;
    h.flow = flow;
    std::memcpy(slot, &h, sizeof h);
    std::memcpy(slot + sizeof h, data, len);
    in_.publish(1);
    engine_->poll();
  }

  void setup(uint64_t flow, abi::XcodeCodec from, abi::XcodeCodec to, uint32_t ssrc,
             uint64_t reverse) {
    abi::XcodeSetupSlot s{};
    s.setup.from = from;
    s.setup.to = to;
    s.setup.out_ssrc = ssrc;
    s.reverse_flow = reverse;
    push(abi::kPacketXcSetup, flow, &s, sizeof s);
  }

  void rtp(uint64_t flow, uint8_t pt, uint16_t seq, uint32_t ssrc) {
    uint8_t p[172];
    writeRtpHeader(p, false, pt, seq, 160u * seq, ssrc);
    std::memset(p + 12, pt == 0 ? 0xff : 0xd5, 160);
    push(abi::kPacketXcRtp, flow, p, sizeof p);
  }

  std::vector<Out> drain() {
    std::vector<Out> v;
    uint32_t n = out_.available(1024);
    for (uint32_t i = 0; i < n; ++i) {
      const auto* slot = static_cast<const uint8_t*>(out_.slot(i));
      abi::PacketSlot h;
      std::memcpy(&h, slot, sizeof h);
      v.push_back({h.kind, h.flow, {slot + sizeof h, slot + sizeof h + h.len}});
    }
    out_.release(n);
    return v;
  }

  platform::ShmRegion region_;
  platform::RingProducer in_;
  platform::RingConsumer out_;
  std::unique_ptr<Engine> engine_;
  const XcStats* stats_ = nullptr;
};

uint32_t rd32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

// A peer's SR (no blocks) or RR with one block about `about`.
std::vector<uint8_t> peerReport(uint32_t ssrc, uint64_t ntp, uint32_t about, uint32_t lsr) {
  RtcpSender tx;
  tx.ssrc = ssrc;
  tx.packets = about == 0 ? 1 : 0;
  ReportBlock rb;
  rb.ssrc = about;
  rb.lsr = lsr;
  uint8_t buf[128];
  std::size_t n = writeReport(buf, sizeof buf, tx, about != 0 ? &rb : nullptr, ntp, 0);
  return {buf, buf + n};
}

TEST_F(EngineRtcp, EachLegGetsItsOwnReportsAndTheRoundTripIsCounted) {
  abi::XcodeCodec pcmu{abi::XcodeCodecId::Pcmu, 0, 1, 20, 8000, 0, 0, 0, 0};
  abi::XcodeCodec pcma{abi::XcodeCodecId::Pcma, 8, 1, 20, 8000, 0, 0, 0, 0};
  setup(kX, pcmu, pcma, 0x0000aaa1, 0);   // programmed before Y's flow existed: no partner,
  setup(kY, pcma, pcmu, 0x0000bbb1, kX);  // until Y's setup names X
  for (uint16_t seq = 0; seq < 50; ++seq) {
    if (seq != 10) {
      rtp(kX, 0, seq, kSsrcA);  // one packet of A's lost
    }
    rtp(kY, 8, seq, kSsrcB);
  }
  uint64_t ntp_a = ntpNow();
  auto sr = peerReport(kSsrcA, ntp_a, 0, 0);  // A's SR arrives on the flow receiving A
  push(abi::kPacketXcRtcp, kX, sr.data(), sr.size());
  EXPECT_EQ(stats_->rtcp_in, 1u);
  drain();
  // The first reports come 0.5-1.5 s after media started.
  std::vector<Out> reports;
  for (int i = 0; i < 200 && reports.size() < 2; ++i) {
    usleep(10000);
    engine_->poll();
    for (Out& o : drain()) {
      if (o.kind == abi::kPacketXcRtcp) {
        reports.push_back(o);
      }
    }
  }
  ASSERT_EQ(reports.size(), 2u);
  for (const Out& o : reports) {
    RtcpIn in;
    // To leg A (by Y's flow): Y's SSRC and a block about A's stream with the loss and LSR.
    bool to_a = o.flow == kY;
    ASSERT_TRUE(parseRtcp(o.data.data(), o.data.size(), to_a ? kSsrcA : kSsrcB, &in));
    EXPECT_TRUE(in.sr);
    EXPECT_EQ(in.sender_ssrc, to_a ? 0x0000bbb1u : 0x0000aaa1u);
    ASSERT_TRUE(in.block);
    EXPECT_EQ(in.about.cumulative_lost, to_a ? 1 : 0);
    EXPECT_EQ(in.about.ext_max_seq, 49u);
    EXPECT_EQ(in.about.lsr, to_a ? ntpMiddle(ntp_a) : 0u);
    if (to_a) {
      // A answers with a block about Y's stream naming that SR: a round trip is measured.
      uint32_t lsr = rd32(o.data.data() + 10);
      auto rr = peerReport(kSsrcA, 0, 0x0000bbb1, lsr);
      push(abi::kPacketXcRtcp, kX, rr.data(), rr.size());
    }
  }
  EXPECT_EQ(stats_->rtcp_out, 2u);
  EXPECT_EQ(stats_->rtcp_in, 2u);
  EXPECT_EQ(stats_->rtcp_rtt_samples, 1u);
  uint8_t junk[12] = {0x80, 201, 0, 9};
  push(abi::kPacketXcRtcp, kX, junk, sizeof junk);         // lengths do not add up
  push(abi::kPacketXcRtcp, 0x7777, sr.data(), sr.size());  // no such session
  EXPECT_EQ(stats_->rtcp_bad, 2u);
  for (const Out& o : drain()) {
    EXPECT_NE(o.kind, abi::kPacketXcRtcp);  // a peer's RTCP is never sent on
  }
}

// RFC 3550 6.6: a session leaving its leg sends a last SR with its block, SDES and a BYE for its
// SSRC as kPacketXcBye, on its own flow; one that never sent anything sends none.
TEST_F(EngineRtcp, TeardownSendsByeWithTheLastReport) {
  abi::XcodeCodec pcmu{abi::XcodeCodecId::Pcmu, 0, 1, 20, 8000, 0, 0, 0, 0};
  abi::XcodeCodec pcma{abi::XcodeCodecId::Pcma, 8, 1, 20, 8000, 0, 0, 0, 0};
  setup(kX, pcmu, pcma, 0x0000aaa1, 0);
  setup(kY, pcma, pcmu, 0x0000bbb1, kX);
  for (uint16_t seq = 0; seq < 20; ++seq) {
    rtp(kY, 8, seq, kSsrcB);  // only leg B talks: X (sending to B) never sends anything
  }
  drain();
  uint8_t none = 0;
  push(abi::kPacketXcTeardown, kY, &none, 0);
  push(abi::kPacketXcTeardown, kX, &none, 0);
  std::vector<Out> out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, abi::kPacketXcBye);
  EXPECT_EQ(out[0].flow, kY);  // Y sends to leg A: its BYE goes there
  const std::vector<uint8_t>& p = out[0].data;
  RtcpIn in;
  ASSERT_TRUE(parseRtcp(p.data(), p.size(), kSsrcA, &in));  // a valid compound, SR first
  EXPECT_TRUE(in.sr);
  EXPECT_EQ(in.sender_ssrc, 0x0000bbb1u);
  ASSERT_GE(p.size(), 8u);
  const uint8_t* bye = p.data() + p.size() - 8;  // the compound ends with the BYE
  EXPECT_EQ(bye[0], 0x81);
  EXPECT_EQ(bye[1], 203);
  EXPECT_EQ(rd32(bye + 4), 0x0000bbb1u);
  EXPECT_EQ(stats_->rtcp_bye, 1u);
  EXPECT_EQ(stats_->rtcp_out, 1u);
  EXPECT_EQ(stats_->teardowns, 2u);
  EXPECT_EQ(stats_->sessions_active, 0u);
}

// A re-setup (a re-INVITE's codec change) with a new SSRC ends the old stream with a BYE; one
// keeping the SSRC sends none.
TEST_F(EngineRtcp, ResetupWithANewSsrcSendsByeForTheOldOne) {
  abi::XcodeCodec pcmu{abi::XcodeCodecId::Pcmu, 0, 1, 20, 8000, 0, 0, 0, 0};
  abi::XcodeCodec pcma{abi::XcodeCodecId::Pcma, 8, 1, 20, 8000, 0, 0, 0, 0};
  setup(kY, pcma, pcmu, 0x0000bbb1, 0);
  for (uint16_t seq = 0; seq < 5; ++seq) {
    rtp(kY, 8, seq, kSsrcB);
  }
  drain();
  setup(kY, pcmu, pcmu, 0x0000bbb2, 0);
  std::vector<Out> out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, abi::kPacketXcBye);
  ASSERT_GE(out[0].data.size(), 8u);
  EXPECT_EQ(rd32(out[0].data.data() + out[0].data.size() - 4), 0x0000bbb1u);
  for (uint16_t seq = 5; seq < 10; ++seq) {
    rtp(kY, 0, seq, kSsrcB);
  }
  drain();
  setup(kY, pcmu, pcmu, 0x0000bbb2, 0);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(stats_->sessions_active, 1u);
}

}  // namespace
}  // namespace rampart::xc
