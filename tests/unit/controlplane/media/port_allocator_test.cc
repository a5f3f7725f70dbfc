#include "media/port_allocator.h"
#include "media/worker_picker.h"

#include <gtest/gtest.h>

#include <set>

namespace rampart::cp {
namespace {

TEST(PortAllocator, PairsAreEvenWithinTheRange) {
  PortAllocator a("lan", 20001, 20010);  // odd start: first pair 20002/20003; 20010 has no +1
  EXPECT_EQ(a.pairCapacity(), 4u);       // 20002, 20004, 20006, 20008
  std::set<uint16_t> got;
  for (int i = 0; i < 4; ++i) {
    Result<uint16_t> p = a.allocate();
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p.value() % 2, 0);
    EXPECT_GE(p.value(), 20002);
    EXPECT_LE(p.value() + 1, 20010);
    got.insert(p.value());
  }
  EXPECT_EQ(got.size(), 4u);
}

TEST(PortAllocator, ExhaustionIsOverloaded) {
  PortAllocator a("wan", 30000, 30003);
  ASSERT_TRUE(a.allocate().ok());
  ASSERT_TRUE(a.allocate().ok());
  Result<uint16_t> p = a.allocate();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::Overloaded);
  EXPECT_NE(p.error().message.find("wan"), std::string::npos);
}

TEST(PortAllocator, FreedPairIsReusedLast) {
  PortAllocator a("lan", 40000, 40007);  // 4 pairs
  uint16_t first = a.allocate().value();
  EXPECT_EQ(first, 40000);
  ASSERT_TRUE(a.free(first).ok());
  // The three never-used pairs come before the one just freed.
  EXPECT_EQ(a.allocate().value(), 40002);
  EXPECT_EQ(a.allocate().value(), 40004);
  EXPECT_EQ(a.allocate().value(), 40006);
  EXPECT_EQ(a.allocate().value(), 40000);
  uint16_t order[] = {40004, 40000, 40002};
  for (uint16_t p : order) {
    ASSERT_TRUE(a.free(p).ok());
  }
  for (uint16_t p : order) {
    EXPECT_EQ(a.allocate().value(), p);  // FIFO: in the order they were freed
  }
}

TEST(PortAllocator, CountsPortsInUse) {
  PortAllocator a("lan", 40000, 40099);
  EXPECT_EQ(a.portsInUse(), 0u);
  uint16_t p1 = a.allocate().value();
  uint16_t p2 = a.allocate().value();
  EXPECT_EQ(a.portsInUse(), 4u);  // two pairs: RTP + RTCP each
  EXPECT_TRUE(a.inUse(p1));
  ASSERT_TRUE(a.free(p1).ok());
  EXPECT_FALSE(a.inUse(p1));
  EXPECT_EQ(a.portsInUse(), 2u);
  ASSERT_TRUE(a.free(p2).ok());
  EXPECT_EQ(a.pairsInUse(), 0u);
}

TEST(PortAllocator, DoubleFreeAndForeignPortsRefused) {
  PortAllocator a("lan", 40000, 40099);
  uint16_t p = a.allocate().value();
  ASSERT_TRUE(a.free(p).ok());
  Result<void> again = a.free(p);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::NotFound);
  EXPECT_EQ(a.free(39998).error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(a.free(40001).error().code, ErrorCode::InvalidArgument);  // odd: an RTCP port
  EXPECT_EQ(a.free(40100).error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(a.pairsInUse(), 0u);
}

TEST(PortAllocator, ReserveTakesAPairOutOfTheFreeQueue) {
  PortAllocator a("lan", 40000, 40005);  // 40000, 40002, 40004
  ASSERT_TRUE(a.reserve(40002).ok());
  EXPECT_EQ(a.reserve(40002).error().code, ErrorCode::AlreadyExists);
  EXPECT_EQ(a.allocate().value(), 40000);
  EXPECT_EQ(a.allocate().value(), 40004);
  EXPECT_EQ(a.allocate().error().code, ErrorCode::Overloaded);
  ASSERT_TRUE(a.free(40002).ok());
  EXPECT_EQ(a.allocate().value(), 40002);
}

TEST(PortAllocator, EmptyRange) {
  PortAllocator a("lan", 40001, 40002);  // 40002 has no RTCP port
  EXPECT_EQ(a.pairCapacity(), 0u);
  EXPECT_EQ(a.allocate().error().code, ErrorCode::Overloaded);
  PortAllocator top("lan", 65534, 65535);
  EXPECT_EQ(top.pairCapacity(), 1u);
  EXPECT_EQ(top.allocate().value(), 65534);
}

TEST(WorkerPicker, LeastLoadedWorker) {
  WorkerPicker w(3);
  EXPECT_EQ(w.acquire(), 0u);
  EXPECT_EQ(w.acquire(), 1u);
  EXPECT_EQ(w.acquire(), 2u);
  w.release(1);
  EXPECT_EQ(w.acquire(), 1u);
  w.acquire(0);
  w.release(2);
  EXPECT_EQ(w.acquire(), 2u);
  EXPECT_EQ(w.sessions(0), 2u);
  EXPECT_EQ(w.sessions(1), 1u);
}

}  // namespace
}  // namespace rampart::cp
