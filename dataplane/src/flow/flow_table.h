#pragma once
// Per-worker flow table: a preallocated FlowEntry pool addressed by abi handle (index +
// generation) and an open-addressing index on the local endpoint. Only the owning worker reads
// or writes it, so there are no locks, atomics or RCU. Memory is allocated once in init().
#include <cstdint>
#include <memory>

#include <rampart/platform/abi.h>

#include <rampart/platform/config.h>

#include "flow/flow_entry.h"

namespace rampart::dp {

// Flows per worker: the configuration loader enforces the same bound (one constant).
using platform::kMaxFlowCapacity;

class FlowTable {
 public:
  // @return false when `capacity` is 0 or above kMaxFlowCapacity, or memory is short.
  bool init(uint32_t capacity);

  uint32_t capacity() const { return capacity_; }
  uint32_t live() const { return live_; }

  // Packet path: the flow listening on a local endpoint (family, iface, address, port), looked
  // up in steps so that a burst's cache misses overlap (as rte_hash's bulk lookup does): hash
  // every key and prefetch its bucket, then prefetch the entry each bucket names, then compare.
  static FlowKey makeKey(uint8_t family, uint16_t iface, const uint8_t* addr, uint16_t port) {
    FlowKey k{};
    k.family = family;
    k.iface = iface;
    k.port = port;
    __builtin_memcpy(k.addr, addr, family == 4 ? 4 : 16);
    return k;
  }
  uint32_t hash(const FlowKey& k) const { return hashKey(k); }
  void prefetchBucket(uint32_t hash) const { __builtin_prefetch(&buckets_[hash & mask_]); }
  void prefetchEntry(uint32_t hash) const {
    uint32_t v = buckets_[hash & mask_];
    if (v != 0) {
      __builtin_prefetch(&entries_[v - 1]);
    }
  }
  FlowEntry* lookup(const FlowKey& k, uint32_t hash) {
    uint32_t b = findBucket(k, hash);
    return buckets_[b] != 0 ? &entries_[buckets_[b] - 1] : nullptr;
  }

  // Claims a slot for `key`. @return kOk with *index set, kErrExist or kErrNoSpace.
  int32_t insert(const FlowKey& key, uint32_t* index);
  // Moves an existing flow to a new key. @return kOk, kErrExist (key taken by another flow).
  int32_t rekey(uint32_t index, const FlowKey& key);
  // Releases a flow: SRTP sessions freed (libsrtp wipes their keys), the entry zeroed with
  // explicit_bzero, the generation advanced so stale handles miss.
  void erase(uint32_t index);

  // The live flow a handle addresses, or nullptr (unknown index, stale generation).
  FlowEntry* get(uint64_t handle);
  FlowEntry& at(uint32_t index) { return entries_[index]; }
  uint32_t indexOf(const FlowEntry* e) const { return static_cast<uint32_t>(e - entries_.get()); }
  uint64_t handleOf(uint32_t index) const {
    return abi::packHandle({index, entries_[index].generation});
  }

 private:
  uint32_t hashKey(const FlowKey& k) const;
  uint32_t findBucket(const FlowKey& k) const { return findBucket(k, hashKey(k)); }
  // The bucket holding k, or the empty one to use.
  uint32_t findBucket(const FlowKey& k, uint32_t hash) const;
  void unlink(const FlowKey& k);  // removes k's bucket (backward shift)

  std::unique_ptr<FlowEntry[]> entries_;
  std::unique_ptr<uint32_t[]> buckets_;  // index + 1; 0 = empty
  std::unique_ptr<uint32_t[]> free_;     // stack of free indices
  uint32_t capacity_ = 0;
  uint32_t mask_ = 0;
  uint32_t free_top_ = 0;
  uint32_t live_ = 0;
};

inline bool keyEqual(const FlowKey& a, const FlowKey& b) {
  return a.family == b.family && a.iface == b.iface && a.port == b.port &&
         __builtin_memcmp(a.addr, b.addr, 16) == 0;
}

}  // namespace rampart::dp
