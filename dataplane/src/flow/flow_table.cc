#include "flow/flow_table.h"

#include <strings.h>
#include <cstring>
#include <new>

#include <rampart/platform/assert.h>

namespace rampart::dp {

bool FlowTable::init(uint32_t capacity) {
  if (capacity == 0 || capacity > kMaxFlowCapacity) {
    return false;
  }
  capacity_ = capacity;
  // At most half full, so linear probes stay short.
  uint32_t buckets = 1;
  while (buckets < capacity * 2) {
    buckets <<= 1;
  }
  mask_ = buckets - 1;
  entries_.reset(new (std::nothrow) FlowEntry[capacity]());
  buckets_.reset(new (std::nothrow) uint32_t[buckets]());
  free_.reset(new (std::nothrow) uint32_t[capacity]);
  if (!entries_ || !buckets_ || !free_) {
    return false;
  }
  // Pop low indices first so a small table stays dense in the stats region.
  for (uint32_t i = 0; i < capacity; ++i) {
    free_[i] = capacity - 1 - i;
    entries_[i].generation = 1;
  }
  free_top_ = capacity;
  live_ = 0;
  return true;
}

uint32_t FlowTable::hashKey(const FlowKey& k) const {
  // Keys are chosen by the control plane (our addresses and allocated ports), not by senders,
  // so a fast multiplicative mix is enough.
  uint64_t a;
  uint64_t b;
  std::memcpy(&a, k.addr, 8);
  std::memcpy(&b, k.addr + 8, 8);
  uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full) ^
               (uint64_t{k.port} << 16 | uint64_t{k.iface} << 8 | k.family);
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return static_cast<uint32_t>(h);
}

uint32_t FlowTable::findBucket(const FlowKey& k, uint32_t hash) const {
  uint32_t b = hash & mask_;
  while (buckets_[b] != 0) {
    if (keyEqual(entries_[buckets_[b] - 1].key, k)) {
      return b;
    }
    b = (b + 1) & mask_;
  }
  return b;
}

int32_t FlowTable::insert(const FlowKey& key, uint32_t* index) {
  uint32_t b = findBucket(key);
  if (buckets_[b] != 0) {
    return abi::kErrExist;
  }
  if (free_top_ == 0) {
    return abi::kErrNoSpace;
  }
  uint32_t i = free_[--free_top_];
  FlowEntry& e = entries_[i];
  e.key = key;
  e.in_use = true;
  buckets_[b] = i + 1;
  ++live_;
  *index = i;
  return abi::kOk;
}

int32_t FlowTable::rekey(uint32_t index, const FlowKey& key) {
  FlowEntry& e = entries_[index];
  if (keyEqual(e.key, key)) {
    return abi::kOk;
  }
  uint32_t nb = findBucket(key);
  if (buckets_[nb] != 0) {
    return abi::kErrExist;
  }
  unlink(e.key);
  e.key = key;
  buckets_[findBucket(key)] = index + 1;
  return abi::kOk;
}

void FlowTable::unlink(const FlowKey& k) {
  uint32_t b = findBucket(k);
  buckets_[b] = 0;
  uint32_t j = b;
  // Backward-shift deletion: pull later entries of the probe run into the hole so lookups
  // never stop early at it (no tombstones to accumulate).
  while (true) {
    j = (j + 1) & mask_;
    if (buckets_[j] == 0) {
      break;
    }
    uint32_t home = hashKey(entries_[buckets_[j] - 1].key) & mask_;
    bool in_range = b <= j ? (home > b && home <= j) : (home > b || home <= j);
    if (!in_range) {
      buckets_[b] = buckets_[j];
      buckets_[j] = 0;
      b = j;
    }
  }
}

void FlowTable::erase(uint32_t index) {
  RAMPART_ASSERT(index < capacity_, "flow index out of range");
  FlowEntry& e = entries_[index];
  if (!e.in_use) {
    return;
  }
  unlink(e.key);
  e.srtp_in.reset();
  e.srtp_out.reset();
  uint32_t next_gen = e.generation + 1 == 0 ? 1 : e.generation + 1;
  // The SrtpCtx members are now empty, so wiping the bytes leaves valid (null) objects.
  explicit_bzero(static_cast<void*>(&e), sizeof(e));
  e.generation = next_gen;
  free_[free_top_++] = index;
  --live_;
}

FlowEntry* FlowTable::get(uint64_t handle) {
  abi::FlowHandle h = abi::unpackHandle(handle);
  if (h.index >= capacity_) {
    return nullptr;
  }
  FlowEntry& e = entries_[h.index];
  return e.in_use && e.generation == h.generation ? &e : nullptr;
}

}  // namespace rampart::dp
