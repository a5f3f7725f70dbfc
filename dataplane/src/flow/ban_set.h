#pragma once
// Source addresses whose packets a worker drops on arrival (the control plane's ban list, sent
// to every worker with BanAdd/BanDel/BanClear). Fixed capacity, allocated once when the worker
// is built, open addressing with linear probing and backward-shift deletion, so the packet path
// does one hash and a short probe and the command path never allocates.
#include <cstdint>
#include <cstring>
#include <vector>

namespace rampart::dp {

class BanSet {
 public:
  static constexpr uint32_t kSlots = 8192;          // power of two
  static constexpr uint32_t kMaxBans = kSlots / 2;  // load factor at most 1/2

  BanSet() : slots_(kSlots) {}

  uint32_t size() const { return size_; }

  bool contains(uint8_t family, const uint8_t* addr) const {
    if (size_ == 0) {
      return false;
    }
    for (uint32_t i = home(family, addr);; i = (i + 1) & (kSlots - 1)) {
      const Slot& s = slots_[i];
      if (!s.used) {
        return false;
      }
      if (s.family == family && std::memcmp(s.addr, addr, len(family)) == 0) {
        return true;
      }
    }
  }

  /// @return false when full (the address is not added); true when added or already there.
  bool add(uint8_t family, const uint8_t* addr) {
    if (contains(family, addr)) {
      return true;
    }
    if (size_ >= kMaxBans) {
      return false;
    }
    uint32_t i = home(family, addr);
    while (slots_[i].used) {
      i = (i + 1) & (kSlots - 1);
    }
    Slot& s = slots_[i];
    s = Slot{};
    s.used = true;
    s.family = family;
    std::memcpy(s.addr, addr, len(family));
    ++size_;
    return true;
  }

  /// @return false when the address was not banned.
  bool remove(uint8_t family, const uint8_t* addr) {
    uint32_t i = home(family, addr);
    for (;; i = (i + 1) & (kSlots - 1)) {
      if (!slots_[i].used) {
        return false;
      }
      if (slots_[i].family == family && std::memcmp(slots_[i].addr, addr, len(family)) == 0) {
        break;
      }
    }
    // Backward shift: pull later entries of the run into the hole when their home allows it.
    for (uint32_t j = (i + 1) & (kSlots - 1); slots_[j].used; j = (j + 1) & (kSlots - 1)) {
      uint32_t h = home(slots_[j].family, slots_[j].addr);
      bool movable = (j > i) ? (h <= i || h > j) : (h <= i && h > j);
      if (movable) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i].used = false;
    --size_;
    return true;
  }

  void clear() {
    for (Slot& s : slots_) {
      s.used = false;
    }
    size_ = 0;
  }

 private:
  struct Slot {
    bool used = false;
    uint8_t family = 0;
    uint8_t addr[16]{};
  };
  static uint32_t len(uint8_t family) { return family == 4 ? 4 : 16; }
  static uint32_t home(uint8_t family, const uint8_t* addr) {
    uint64_t h = 0xcbf29ce484222325ull ^ family;
    for (uint32_t k = 0; k < len(family); ++k) {
      h = (h ^ addr[k]) * 0x100000001b3ull;
    }
    return static_cast<uint32_t>(h ^ (h >> 32)) & (kSlots - 1);
  }

  std::vector<Slot> slots_;
  uint32_t size_ = 0;
};

}  // namespace rampart::dp
