#include "flow/flow_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace rampart::dp {
namespace {

FlowKey key(uint16_t port, uint8_t last = 1) {
  FlowKey k{};
  k.family = 4;
  k.iface = 0;
  k.port = port;
  k.addr[0] = 198;
  k.addr[1] = 18;
  k.addr[2] = 2;
  k.addr[3] = last;
  return k;
}

// The packet path's lookup (key, hash) for one endpoint.
FlowEntry* lookup(FlowTable& t, uint8_t family, uint16_t iface, const uint8_t* addr,
                  uint16_t port) {
  FlowKey k = FlowTable::makeKey(family, iface, addr, port);
  return t.lookup(k, t.hash(k));
}

TEST(FlowTable, InsertLookupEraseAndGenerations) {
  FlowTable t;
  ASSERT_TRUE(t.init(4));
  uint32_t a = 0;
  ASSERT_EQ(t.insert(key(20000), &a), abi::kOk);
  uint64_t ha = t.handleOf(a);
  EXPECT_EQ(t.insert(key(20000), &a), abi::kErrExist);
  uint8_t addr[16] = {198, 18, 2, 1};
  EXPECT_EQ(lookup(t, 4, 0, addr, 20000), &t.at(a));
  EXPECT_EQ(lookup(t, 4, 0, addr, 20001), nullptr);
  EXPECT_EQ(lookup(t, 4, 1, addr, 20000), nullptr);
  EXPECT_EQ(t.get(ha), &t.at(a));
  t.erase(a);
  EXPECT_EQ(t.get(ha), nullptr) << "stale handle must miss";
  EXPECT_EQ(lookup(t, 4, 0, addr, 20000), nullptr);
  uint32_t b = 0;
  ASSERT_EQ(t.insert(key(20000), &b), abi::kOk);
  EXPECT_EQ(b, a);
  EXPECT_NE(t.handleOf(b), ha) << "reused slot gets a new generation";
}

TEST(FlowTable, CapacityIsBounded) {
  FlowTable t;
  EXPECT_FALSE(t.init(0));
  EXPECT_FALSE(t.init(kMaxFlowCapacity + 1));
}

TEST(FlowTable, FullTableRefuses) {
  FlowTable t;
  ASSERT_TRUE(t.init(3));
  uint32_t i = 0;
  for (uint16_t p = 0; p < 3; ++p) {
    ASSERT_EQ(t.insert(key(static_cast<uint16_t>(1000 + p)), &i), abi::kOk);
  }
  EXPECT_EQ(t.insert(key(2000), &i), abi::kErrNoSpace);
  EXPECT_EQ(t.live(), 3u);
}

TEST(FlowTable, RandomisedAgainstStdMap) {
  FlowTable t;
  ASSERT_TRUE(t.init(512));
  std::map<uint16_t, uint32_t> ref;
  std::mt19937 rng(42);
  for (int step = 0; step < 20000; ++step) {
    auto port = static_cast<uint16_t>(rng() % 1024);
    uint8_t addr[16] = {198, 18, 2, 1};
    FlowEntry* e = lookup(t, 4, 0, addr, port);
    auto it = ref.find(port);
    ASSERT_EQ(e != nullptr, it != ref.end()) << "step " << step;
    if (e != nullptr) {
      ASSERT_EQ(t.indexOf(e), it->second);
    }
    if (rng() % 2 == 0) {
      uint32_t idx = 0;
      int32_t st = t.insert(key(port), &idx);
      if (it != ref.end()) {
        ASSERT_EQ(st, abi::kErrExist);
      } else if (ref.size() == 512) {
        ASSERT_EQ(st, abi::kErrNoSpace);
      } else {
        ASSERT_EQ(st, abi::kOk);
        ref[port] = idx;
      }
    } else if (it != ref.end()) {
      if (rng() % 4 == 0) {
        auto np = static_cast<uint16_t>(1024 + rng() % 1024);
        if (ref.find(np) == ref.end()) {
          ASSERT_EQ(t.rekey(it->second, key(np)), abi::kOk);
          ref[np] = it->second;
          ref.erase(it);
        }
      } else {
        t.erase(it->second);
        ref.erase(it);
      }
    }
    ASSERT_EQ(t.live(), ref.size());
  }
}

TEST(FlowTable, EraseWipesTheEntry) {
  FlowTable t;
  ASSERT_TRUE(t.init(2));
  uint32_t i = 0;
  ASSERT_EQ(t.insert(key(5), &i), abi::kOk);
  t.at(i).ssrc_rewrite = 0xdeadbeef;
  t.at(i).cookie = 77;
  t.erase(i);
  EXPECT_EQ(t.at(i).ssrc_rewrite, 0u);
  EXPECT_EQ(t.at(i).cookie, 0u);
  EXPECT_FALSE(t.at(i).srtp_in.active());
}

}  // namespace
}  // namespace rampart::dp
