// The source drop list (BanAdd/BanDel/BanClear) through the real worker pass: a banned
// source's media dies on arrival, counted as "banned" and never forwarded; lifting the ban
// restores forwarding; and the BanSet itself (collisions, removal inside a run, capacity).
#include <gtest/gtest.h>

#include <cstring>

#include "flow/ban_set.h"
#include "harness.h"

namespace rampart::dp::test {
namespace {

const Addr kCaller = v4(198, 18, 2, 2);
const Addr kOther = v4(198, 18, 2, 3);
const Addr kPbx = v4(198, 18, 4, 2);

abi::BanMsg ban(abi::MsgType type, const Addr& a) {
  abi::BanMsg m{};
  m.hdr.type = type;
  m.hdr.size = sizeof(m);
  m.family = a.family;
  std::memcpy(m.addr, a.b, a.family == 4 ? 4 : 16);
  return m;
}

class BanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h = std::make_unique<Harness>(16);
    ASSERT_EQ(h->hello(), abi::kOk);
    h->learnPeers();
    abi::FlowAdd f = makeFlow(*h, 0, 20000, kCaller, 5000, 1, 30000, kPbx, 6000);
    ASSERT_EQ(h->call(f.hdr).status, abi::kOk);
  }
  // One RTP packet from `src` to the flow; @return how many left toward the PBX.
  std::size_t sendFrom(const Addr& src, uint16_t seq) {
    h->rx(0, udpFrame(h->wan().mac, kPeerWanMac, src, v4(198, 18, 2, 1), 5000, 20000,
                      rtpPacket(seq, seq * 160u, 0x1111, 160)));
    h->pass();
    return h->tx(1).size();
  }
  int32_t send(abi::BanMsg m) { return h->call(m.hdr).status; }
  std::unique_ptr<Harness> h;
};

TEST_F(BanTest, BannedSourceDroppedBeforeLookupAndUnbanRestores) {
  EXPECT_EQ(sendFrom(kCaller, 1), 1u);
  EXPECT_EQ(send(ban(abi::MsgType::BanAdd, kCaller)), abi::kOk);
  EXPECT_EQ(send(ban(abi::MsgType::BanAdd, kCaller)), abi::kOk);  // idempotent
  EXPECT_EQ(sendFrom(kCaller, 2), 0u);
  EXPECT_EQ(sendFrom(kCaller, 3), 0u);
  EXPECT_EQ(h->drops(0, DropReason::Banned), 2u);
  EXPECT_EQ(h->drops(0, DropReason::WrongSource), 0u);  // never reached the flow
  EXPECT_EQ(send(ban(abi::MsgType::BanDel, kCaller)), abi::kOk);
  EXPECT_EQ(send(ban(abi::MsgType::BanDel, kCaller)), abi::kErrNoEnt);
  EXPECT_EQ(sendFrom(kCaller, 4), 1u);
  EXPECT_EQ(send(ban(abi::MsgType::BanAdd, kOther)), abi::kOk);
  EXPECT_EQ(send(ban(abi::MsgType::BanAdd, kCaller)), abi::kOk);
  EXPECT_EQ(send(ban(abi::MsgType::BanClear, kCaller)), abi::kOk);
  EXPECT_EQ(sendFrom(kCaller, 5), 1u);
  abi::BanMsg bad = ban(abi::MsgType::BanAdd, kCaller);
  bad.family = 5;
  EXPECT_EQ(send(bad), abi::kErrInval);
}

TEST(BanSet, CollisionsRemovalAndCapacity) {
  BanSet s;
  uint8_t a[16] = {};
  for (uint32_t i = 0; i < BanSet::kMaxBans; ++i) {
    std::memcpy(a, &i, sizeof(i));
    ASSERT_TRUE(s.add(4, a)) << i;
  }
  uint32_t extra = BanSet::kMaxBans;
  std::memcpy(a, &extra, sizeof(extra));
  EXPECT_FALSE(s.add(4, a));  // full
  EXPECT_FALSE(s.contains(6, a));
  // Remove every other one; the rest (whose probe runs crossed the holes) stay findable.
  for (uint32_t i = 0; i < BanSet::kMaxBans; i += 2) {
    std::memcpy(a, &i, sizeof(i));
    ASSERT_TRUE(s.remove(4, a)) << i;
  }
  for (uint32_t i = 0; i < BanSet::kMaxBans; ++i) {
    std::memcpy(a, &i, sizeof(i));
    EXPECT_EQ(s.contains(4, a), i % 2 == 1) << i;
  }
  EXPECT_EQ(s.size(), BanSet::kMaxBans / 2);
  s.clear();
  EXPECT_EQ(s.size(), 0u);
}

}  // namespace
}  // namespace rampart::dp::test
