#pragma once
// Lock-free single-producer/single-consumer ring of fixed-size slots, placed in memory the
// caller provides (normally the shared-memory region, so the two ends may live in different
// processes). Header-only and free of allocation, locks and syscalls.
//
// Ordering: the producer fills slots, then publishes with head.store(release); the consumer
// reads head with acquire before it touches a slot, and hands slots back with
// tail.store(release), which the producer reads with acquire before reusing them. Each index
// sits alone on its cache line, and each side keeps a private cached copy of the other's index
// so it only touches the shared line when the cached view says full (or empty).
//
// Counters for metrics come for free: enqueued == head, dequeued == tail, and the producer
// counts refusals in `full` (a producer-owned line).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace rampart::platform {

inline constexpr std::size_t kCacheLine = 64;

// Lives at the start of each ring's memory; slots follow at kRingHeaderSize.
struct RingHeader {
  // Written once at creation.
  alignas(kCacheLine) uint32_t slot_size;
  uint32_t slot_count;  // power of two
  uint32_t mask;
  uint32_t magic;
  // Producer line.
  alignas(kCacheLine) std::atomic<uint64_t> head;
  std::atomic<uint64_t> full;  // enqueue attempts refused for lack of room (producer-owned)
  // Consumer line.
  alignas(kCacheLine) std::atomic<uint64_t> tail;
};
static_assert(sizeof(RingHeader) == 3 * kCacheLine);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
inline constexpr std::size_t kRingHeaderSize = sizeof(RingHeader);
inline constexpr uint32_t kRingMagic = 0x52494e47;  // "RING"

inline constexpr bool isPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Bytes needed for a ring of `count` slots of `slot_size` bytes (both powers of two).
constexpr std::size_t ringBytes(uint32_t count, uint32_t slot_size) {
  return kRingHeaderSize + static_cast<std::size_t>(count) * slot_size;
}

// Initialises a ring in `mem` (cache-line aligned, ringBytes() long). Call once, before
// either end attaches.
inline RingHeader* ringInit(void* mem, uint32_t count, uint32_t slot_size) {
  auto* h = new (mem) RingHeader{};
  h->slot_size = slot_size;
  h->slot_count = count;
  h->mask = count - 1;
  h->head.store(0, std::memory_order_relaxed);
  h->full.store(0, std::memory_order_relaxed);
  h->tail.store(0, std::memory_order_relaxed);
  h->magic = kRingMagic;
  return h;
}

// Producer end. Exactly one object in one thread may produce into a ring at a time.
class RingProducer {
 public:
  RingProducer() = default;
  explicit RingProducer(RingHeader* h)
      : h_(h),
        slots_(reinterpret_cast<uint8_t*>(h) + kRingHeaderSize),
        slot_size_(h->slot_size),
        mask_(h->mask),
        head_(h->head.load(std::memory_order_relaxed)),
        cached_tail_(h->tail.load(std::memory_order_acquire)) {}

  bool valid() const { return h_ != nullptr; }
  uint32_t slotSize() const { return slot_size_; }

  // Room for at least `want` slots? Refreshes the cached consumer index only when needed.
  uint32_t freeSlots(uint32_t want) {
    uint32_t free = capacity() - static_cast<uint32_t>(head_ - cached_tail_);
    if (free < want) {
      cached_tail_ = h_->tail.load(std::memory_order_acquire);
      free = capacity() - static_cast<uint32_t>(head_ - cached_tail_);
    }
    return free;
  }

  // The i-th slot past the current head, to be filled before publish(). Caller checked room.
  void* slot(uint32_t i) {
    return slots_ + static_cast<std::size_t>((head_ + i) & mask_) * slot_size_;
  }

  // Makes `n` filled slots visible to the consumer.
  void publish(uint32_t n) {
    head_ += n;
    h_->head.store(head_, std::memory_order_release);
  }

  // Copies up to `n` messages of `len` bytes each (len <= slot size) from `msgs`; returns the
  // number enqueued (all or nothing per message, in order). Counts a refusal when short.
  uint32_t enqueueBurst(const void* const* msgs, const uint32_t* lens, uint32_t n) {
    uint32_t room = freeSlots(n);
    uint32_t k = n < room ? n : room;
    for (uint32_t i = 0; i < k; ++i) {
      std::memcpy(slot(i), msgs[i], lens[i]);
    }
    if (k > 0) {
      publish(k);
    }
    if (k < n) {
      h_->full.store(h_->full.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    return k;
  }

  bool enqueue(const void* msg, uint32_t len) { return enqueueBurst(&msg, &len, 1) == 1; }

  // Copies up to `n` whole slots laid out back to back in `src` (n * slot_size bytes) with at
  // most two memcpy calls (before and after the wrap); returns how many were enqueued.
  uint32_t enqueueSlots(const void* src, uint32_t n) {
    uint32_t room = freeSlots(n);
    uint32_t k = n < room ? n : room;
    if (k == 0) {
      noteFull();
      return 0;
    }
    uint32_t first = static_cast<uint32_t>(head_ & mask_);
    uint32_t run = capacity() - first < k ? capacity() - first : k;
    const auto* in = static_cast<const uint8_t*>(src);
    std::memcpy(slots_ + static_cast<std::size_t>(first) * slot_size_, in,
                static_cast<std::size_t>(run) * slot_size_);
    if (run < k) {
      std::memcpy(slots_, in + static_cast<std::size_t>(run) * slot_size_,
                  static_cast<std::size_t>(k - run) * slot_size_);
    }
    publish(k);
    if (k < n) {
      noteFull();
    }
    return k;
  }

  // Record that the caller gave up for lack of room (when it used freeSlots() directly).
  void noteFull() {
    h_->full.store(h_->full.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

 private:
  uint32_t capacity() const { return mask_ + 1; }

  RingHeader* h_ = nullptr;
  uint8_t* slots_ = nullptr;
  uint32_t slot_size_ = 0;
  uint32_t mask_ = 0;
  uint64_t head_ = 0;
  uint64_t cached_tail_ = 0;
};

// Consumer end. Exactly one object in one thread may consume from a ring at a time.
class RingConsumer {
 public:
  RingConsumer() = default;
  explicit RingConsumer(RingHeader* h)
      : h_(h),
        slots_(reinterpret_cast<uint8_t*>(h) + kRingHeaderSize),
        slot_size_(h->slot_size),
        mask_(h->mask),
        tail_(h->tail.load(std::memory_order_relaxed)),
        cached_head_(h->head.load(std::memory_order_acquire)) {}

  bool valid() const { return h_ != nullptr; }
  uint32_t slotSize() const { return slot_size_; }

  // Number of published slots ready to read (at most `want` are guaranteed fresh).
  uint32_t available(uint32_t want) {
    uint32_t avail = static_cast<uint32_t>(cached_head_ - tail_);
    if (avail < want) {
      cached_head_ = h_->head.load(std::memory_order_acquire);
      avail = static_cast<uint32_t>(cached_head_ - tail_);
    }
    return avail;
  }

  // The i-th readable slot; valid until release().
  const void* slot(uint32_t i) const {
    return slots_ + static_cast<std::size_t>((tail_ + i) & mask_) * slot_size_;
  }
  void* mutableSlot(uint32_t i) {
    return slots_ + static_cast<std::size_t>((tail_ + i) & mask_) * slot_size_;
  }

  // Hands `n` consumed slots back to the producer.
  void release(uint32_t n) {
    tail_ += n;
    h_->tail.store(tail_, std::memory_order_release);
  }

  // Copies up to `n` slots (slot_size bytes each, back to back) into `out` with at most two
  // memcpy calls; returns how many.
  uint32_t dequeueBurst(void* out, uint32_t n) {
    uint32_t k = available(n);
    k = k < n ? k : n;
    if (k == 0) {
      return 0;
    }
    auto* dst = static_cast<uint8_t*>(out);
    uint32_t first = static_cast<uint32_t>(tail_ & mask_);
    uint32_t capacity = mask_ + 1;
    uint32_t run = capacity - first < k ? capacity - first : k;
    std::memcpy(dst, slots_ + static_cast<std::size_t>(first) * slot_size_,
                static_cast<std::size_t>(run) * slot_size_);
    if (run < k) {
      std::memcpy(dst + static_cast<std::size_t>(run) * slot_size_, slots_,
                  static_cast<std::size_t>(k - run) * slot_size_);
    }
    release(k);
    return k;
  }

 private:
  RingHeader* h_ = nullptr;
  uint8_t* slots_ = nullptr;
  uint32_t slot_size_ = 0;
  uint32_t mask_ = 0;
  uint64_t tail_ = 0;
  uint64_t cached_head_ = 0;
};

// Counters readable by any third party (metrics) without disturbing either end.
struct RingCounters {
  uint64_t enqueued;
  uint64_t dequeued;
  uint64_t full;
};
inline RingCounters ringCounters(const RingHeader* h) {
  return {h->head.load(std::memory_order_relaxed), h->tail.load(std::memory_order_relaxed),
          h->full.load(std::memory_order_relaxed)};
}

}  // namespace rampart::platform
