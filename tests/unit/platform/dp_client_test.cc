// DataplaneClient's non-blocking primitives, single-threaded: the test creates the region and
// plays the dataplane by hand on the other end of each ring. Step-wise handshake (stale answers
// discarded, unsolicited events handed over, refusal reported with its reason), submit() with
// coded errors, pollEvents() consuming only what the visitor accepts.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <rampart/platform/abi.h>
#include <rampart/platform/dp_client.h>
#include <rampart/platform/shm_region.h>

namespace rampart::platform {
namespace {

class DpEnd {
 public:
  explicit DpEnd(const std::string& name) {
    RegionGeometry g;
    g.cmd_slots = 8;
    g.evt_slots = 8;
    auto r = ShmRegion::create(name, g);
    EXPECT_TRUE(r) << r.error().message;
    region_ = std::move(r.value());
    cmd_ = RingConsumer(region_.ring(0, RingKind::Command));
    evt_ = RingProducer(region_.ring(0, RingKind::Event));
  }
  // Reads the next command header (the ring must hold one).
  abi::MsgHeader read() {
    abi::MsgHeader h{};
    EXPECT_GT(cmd_.available(1), 0u);
    std::memcpy(&h, cmd_.slot(0), sizeof(h));
    cmd_.release(1);
    return h;
  }
  template <typename T>
  bool write(const T& msg) {
    return evt_.enqueue(&msg, sizeof(msg));
  }
  abi::HelloAck helloAck(uint32_t seq, int32_t status, const char* reason = "") {
    abi::HelloAck a{};
    a.hdr = {abi::MsgType::HelloAck, static_cast<uint16_t>(sizeof(a)), seq, 0};
    a.status = status;
    a.flows_live = 3;
    std::snprintf(a.reason, sizeof(a.reason), "%s", reason);
    return a;
  }
  abi::FlowIdle idle(uint64_t cookie) {
    abi::FlowIdle e{};
    e.hdr = {abi::MsgType::FlowIdle, static_cast<uint16_t>(sizeof(e)), 0, 1};
    e.cookie = cookie;
    return e;
  }
  abi::Ack ack(uint32_t seq) {
    abi::Ack a{};
    a.hdr = {abi::MsgType::Ack, static_cast<uint16_t>(sizeof(a)), seq, 0};
    return a;
  }

 private:
  ShmRegion region_;
  RingConsumer cmd_;
  RingProducer evt_;
};

std::string uniqueName(const char* tag) {
  return "/rampart-test-dpc-" + std::string(tag) + "-" + std::to_string(getpid());
}

TEST(DataplaneClient, HandshakeIsStepwise) {
  const std::string name = uniqueName("hs");
  DpEnd dp(name);
  auto c = DataplaneClient::attach(name);
  ASSERT_TRUE(c) << c.error().message;
  const abi::MsgHeader hello = dp.read();
  ASSERT_EQ(hello.type, abi::MsgType::Hello);

  // Nothing answered yet: not done, and commands are refused as Unavailable.
  auto r = c->pollHandshake();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  abi::FlowDel del{};
  del.hdr = {abi::MsgType::FlowDel, static_cast<uint16_t>(sizeof(del)), 0, 9};
  auto early = c->submit(0, del.hdr);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::Unavailable);

  // A previous control plane's Ack is discarded, a FlowIdle handed over, then the HelloAck;
  // what follows it stays for pollEvents().
  ASSERT_TRUE(dp.write(dp.ack(12345)));
  ASSERT_TRUE(dp.write(dp.idle(7)));
  ASSERT_TRUE(dp.write(dp.helloAck(hello.seq, abi::kOk)));
  ASSERT_TRUE(dp.write(dp.idle(8)));
  std::vector<uint64_t> unsolicited;
  r = c->pollHandshake(
      [&](const EventView& ev) { unsolicited.push_back(ev.as<abi::FlowIdle>().cookie); });
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
  EXPECT_TRUE(c->handshaken());
  EXPECT_EQ(unsolicited, std::vector<uint64_t>{7});
  EXPECT_EQ(c->flowsAtHandshake(), std::vector<uint32_t>{3});
  std::vector<uint64_t> later;
  c->pollEvents(
      0,
      [&](const EventView& ev) {
        later.push_back(ev.as<abi::FlowIdle>().cookie);
        return true;
      },
      16);
  EXPECT_EQ(later, std::vector<uint64_t>{8});
}

TEST(DataplaneClient, RefusalCarriesTheReason) {
  const std::string name = uniqueName("refuse");
  DpEnd dp(name);
  auto c = DataplaneClient::attach(name);
  ASSERT_TRUE(c);
  ASSERT_TRUE(dp.write(dp.helloAck(dp.read().seq, abi::kErrProto, "ABI 9.0 vs 1.1")));
  auto r = c->pollHandshake();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Unsupported);
  EXPECT_NE(r.error().message.find("ABI 9.0 vs 1.1"), std::string::npos);
}

TEST(DataplaneClient, SubmitAndPollEvents) {
  const std::string name = uniqueName("submit");
  DpEnd dp(name);
  auto c = DataplaneClient::attach(name);
  ASSERT_TRUE(c);
  ASSERT_TRUE(dp.write(dp.helloAck(dp.read().seq, abi::kOk)));
  ASSERT_TRUE(c->pollHandshake());
  ASSERT_TRUE(c->handshaken());

  abi::FlowDel del{};
  del.hdr = {abi::MsgType::FlowDel, static_cast<uint16_t>(sizeof(del)), 0, 9};
  std::vector<uint32_t> seqs;
  for (int i = 0; i < 8; ++i) {
    auto seq = c->submit(0, del.hdr);
    ASSERT_TRUE(seq) << seq.error().message;
    seqs.push_back(*seq);
  }
  EXPECT_EQ(del.hdr.seq, 0u) << "the caller's message is not modified";
  EXPECT_EQ(c->commandRoom(0), 0u);
  auto full = c->submit(0, del.hdr);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::Overloaded);
  auto bad = c->submit(3, del.hdr);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
  for (uint32_t seq : seqs) {
    const abi::MsgHeader h = dp.read();
    EXPECT_EQ(h.seq, seq);
    EXPECT_EQ(h.flow, 9u);
  }

  // The visitor refuses the second slot: only the first is consumed, the rest come again.
  for (uint32_t seq : {seqs[0], seqs[1], seqs[2]}) {
    ASSERT_TRUE(dp.write(dp.ack(seq)));
  }
  std::vector<uint32_t> got;
  uint32_t n = c->pollEvents(
      0,
      [&](const EventView& ev) {
        if (!got.empty()) {
          return false;
        }
        got.push_back(ev.header.seq);
        return true;
      },
      16);
  EXPECT_EQ(n, 1u);
  n = c->pollEvents(
      0,
      [&](const EventView& ev) {
        EXPECT_TRUE(ev.wellFormed());
        got.push_back(ev.header.seq);
        return true;
      },
      16);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(got, (std::vector<uint32_t>{seqs[0], seqs[1], seqs[2]}));
}

}  // namespace
}  // namespace rampart::platform
