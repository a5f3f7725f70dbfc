#pragma once
// A hash table with a hard cap on entries: at the cap, the least recently used entry makes
// room. Per-source and per-AOR limiter state lives here, so a flood from millions of spoofed
// addresses costs a bounded amount of memory (it only forgets old sources sooner).
#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

namespace rampart::cp::security {

template <class Key, class Value, class Hash = std::hash<Key>>
class BoundedTable {
 public:
  explicit BoundedTable(std::size_t cap) : cap_(cap < 1 ? 1 : cap) {}

  /// The entry for `key`, made (a default Value) when absent, and marked most recent.
  Value& touch(const Key& key) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.pos);
      return it->second.value;
    }
    if (map_.size() >= cap_) {
      map_.erase(lru_.back());
      lru_.pop_back();
      ++evictions_;
    }
    lru_.push_front(key);
    auto& node = map_[key];
    node.pos = lru_.begin();
    return node.value;
  }

  const Value* find(const Key& key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.value;
  }

  std::size_t size() const { return map_.size(); }
  uint64_t evictions() const { return evictions_; }

 private:
  struct Node {
    Value value{};
    typename std::list<Key>::iterator pos;
  };
  std::size_t cap_;
  std::list<Key> lru_;  // front: most recently used
  std::unordered_map<Key, Node, Hash> map_;
  uint64_t evictions_ = 0;
};

}  // namespace rampart::cp::security
