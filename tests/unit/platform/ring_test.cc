// SPSC ring: correctness under concurrency. Two threads (this test also runs under TSAN) and,
// in region_test.cc, two processes, move messages with no loss, duplication or reordering.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <rampart/platform/spsc_ring.h>

namespace rampart::platform {
namespace {

// Every message carries its sequence number and a payload derived from it, so a torn,
// duplicated, lost or reordered message is detected by the consumer.
struct TestMsg {
  uint64_t seq;
  uint32_t len;
  uint32_t check;
  uint8_t payload[48];
};

uint32_t fill(TestMsg& m, uint64_t seq) {
  m.seq = seq;
  m.len = 8 + static_cast<uint32_t>(seq % 41);
  for (uint32_t i = 0; i < m.len; ++i) {
    m.payload[i] = static_cast<uint8_t>((seq * 31 + i) & 0xff);
  }
  m.check = static_cast<uint32_t>(seq ^ 0x9e3779b9u);
  return sizeof(TestMsg);
}

bool verify(const TestMsg& m, uint64_t expected) {
  if (m.seq != expected || m.check != static_cast<uint32_t>(expected ^ 0x9e3779b9u) ||
      m.len != 8 + expected % 41) {
    return false;
  }
  for (uint32_t i = 0; i < m.len; ++i) {
    if (m.payload[i] != static_cast<uint8_t>((expected * 31 + i) & 0xff)) {
      return false;
    }
  }
  return true;
}

uint64_t messageCount() {
  uint64_t n = 10'000'000;  // about 50 s under TSAN, well under a second otherwise
  if (const char* env = std::getenv("RAMPART_RING_MESSAGES")) {
    n = std::strtoull(env, nullptr, 10);
  }
  return n;
}

struct AlignedBuffer {
  explicit AlignedBuffer(std::size_t n)
      : ptr(static_cast<uint8_t*>(std::aligned_alloc(kCacheLine, (n + 63) & ~std::size_t{63}))) {}
  ~AlignedBuffer() { std::free(ptr); }
  uint8_t* ptr;
};

TEST(SpscRing, InitialState) {
  AlignedBuffer mem(ringBytes(8, 64));
  RingHeader* h = ringInit(mem.ptr, 8, 64);
  RingProducer p(h);
  RingConsumer c(h);
  EXPECT_EQ(p.freeSlots(8), 8u);
  EXPECT_EQ(c.available(1), 0u);
  RingCounters counters = ringCounters(h);
  EXPECT_EQ(counters.enqueued, 0u);
  EXPECT_EQ(counters.dequeued, 0u);
  EXPECT_EQ(counters.full, 0u);
}

TEST(SpscRing, FullRingRefusesAndCounts) {
  AlignedBuffer mem(ringBytes(4, 64));
  RingHeader* h = ringInit(mem.ptr, 4, 64);
  RingProducer p(h);
  RingConsumer c(h);
  TestMsg m{};
  for (uint64_t i = 0; i < 4; ++i) {
    fill(m, i);
    ASSERT_TRUE(p.enqueue(&m, sizeof(m)));
  }
  fill(m, 4);
  EXPECT_FALSE(p.enqueue(&m, sizeof(m)));
  EXPECT_EQ(ringCounters(h).full, 1u);
  // Burst enqueue is partial when short of room, and keeps order.
  ASSERT_EQ(c.available(4), 4u);
  c.release(2);
  TestMsg batch[3];
  const void* ptrs[3];
  uint32_t lens[3];
  for (uint64_t i = 0; i < 3; ++i) {
    fill(batch[i], 4 + i);
    ptrs[i] = &batch[i];
    lens[i] = sizeof(TestMsg);
  }
  EXPECT_EQ(p.enqueueBurst(ptrs, lens, 3), 2u);
  EXPECT_EQ(ringCounters(h).full, 2u);
  uint8_t out[4 * 64];
  ASSERT_EQ(c.dequeueBurst(out, 4), 4u);
  for (uint64_t i = 0; i < 4; ++i) {
    TestMsg got;
    std::memcpy(&got, out + i * 64, sizeof(got));
    EXPECT_TRUE(verify(got, 2 + i)) << "slot " << i;
  }
  RingCounters counters = ringCounters(h);
  EXPECT_EQ(counters.enqueued, 6u);
  EXPECT_EQ(counters.dequeued, 6u);
}

TEST(SpscRing, IndicesSurviveWrapAround) {
  AlignedBuffer mem(ringBytes(2, 64));
  RingHeader* h = ringInit(mem.ptr, 2, 64);
  // Start near the 32-bit boundary to prove the unsigned index arithmetic wraps correctly.
  h->head.store(0xfffffffeull);
  h->tail.store(0xfffffffeull);
  RingProducer p(h);
  RingConsumer c(h);
  TestMsg m{};
  for (uint64_t i = 0; i < 10; ++i) {
    fill(m, i);
    ASSERT_TRUE(p.enqueue(&m, sizeof(m)));
    ASSERT_EQ(c.available(1), 1u);
    TestMsg got;
    std::memcpy(&got, c.slot(0), sizeof(got));
    ASSERT_TRUE(verify(got, i));
    c.release(1);
  }
}

TEST(SpscRing, ContiguousCopiesSplitAtTheWrap) {
  AlignedBuffer mem(ringBytes(8, 64));
  RingHeader* h = ringInit(mem.ptr, 8, 64);
  RingProducer p(h);
  RingConsumer c(h);
  uint8_t in[8 * 64];
  uint8_t out[8 * 64];
  uint64_t next_in = 0;
  uint64_t next_out = 0;
  // Bursts of 5 into 8 slots land at every offset, so both copies cross the wrap often.
  for (int round = 0; round < 50; ++round) {
    for (uint32_t i = 0; i < 5; ++i) {
      TestMsg m{};
      fill(m, next_in + i);
      std::memcpy(in + i * 64, &m, sizeof(m));
    }
    ASSERT_EQ(p.enqueueSlots(in, 5), 5u);
    next_in += 5;
    ASSERT_EQ(c.dequeueBurst(out, 8), 5u);
    for (uint32_t i = 0; i < 5; ++i) {
      TestMsg got;
      std::memcpy(&got, out + i * 64, sizeof(got));
      ASSERT_TRUE(verify(got, next_out++));
    }
  }
  EXPECT_EQ(p.enqueueSlots(in, 8), 8u);
  EXPECT_EQ(p.enqueueSlots(in, 1), 0u);
  EXPECT_EQ(ringCounters(h).full, 1u);
}

TEST(SpscRing, TwoThreadsMoveEveryMessageInOrder) {
  const uint64_t total = messageCount();
  constexpr uint32_t kSlots = 256;
  constexpr uint32_t kSlotSize = 64;
  AlignedBuffer mem(ringBytes(kSlots, kSlotSize));
  RingHeader* h = ringInit(mem.ptr, kSlots, kSlotSize);

  std::thread producer([h, total] {
    RingProducer p(h);
    TestMsg batch[32];
    const void* ptrs[32];
    uint32_t lens[32];
    uint64_t seq = 0;
    while (seq < total) {
      // Vary burst sizes so partial bursts and wrap-around at every offset are exercised.
      uint32_t want = 1 + static_cast<uint32_t>(seq % 32);
      if (want > total - seq) {
        want = static_cast<uint32_t>(total - seq);
      }
      for (uint32_t i = 0; i < want; ++i) {
        lens[i] = fill(batch[i], seq + i);
        ptrs[i] = &batch[i];
      }
      seq += p.enqueueBurst(ptrs, lens, want);
    }
  });

  RingConsumer c(h);
  uint64_t expected = 0;
  uint64_t bad = 0;
  uint8_t out[32 * kSlotSize];
  while (expected < total) {
    uint32_t n = c.dequeueBurst(out, 32);
    for (uint32_t i = 0; i < n; ++i) {
      TestMsg got;
      std::memcpy(&got, out + static_cast<std::size_t>(i) * kSlotSize, sizeof(got));
      bad += verify(got, expected) ? 0 : 1;
      ++expected;
    }
  }
  producer.join();
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(expected, total);
  RingCounters counters = ringCounters(h);
  EXPECT_EQ(counters.enqueued, total);
  EXPECT_EQ(counters.dequeued, total);
  EXPECT_EQ(c.available(1), 0u);
}

}  // namespace
}  // namespace rampart::platform
