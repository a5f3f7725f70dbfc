#include "media/port_allocator.h"

#include <utility>

namespace rampart::cp {

PortAllocator::PortAllocator(std::string realm, uint16_t portMin, uint16_t portMax)
    : realm_(std::move(realm)) {
  uint32_t first = portMin + (portMin % 2);
  first_ = static_cast<uint16_t>(first > 0xffff ? 0 : first);
  uint32_t pairs = 0;
  if (first != 0 && first + 1 <= portMax) {
    pairs = (static_cast<uint32_t>(portMax) - first + 1) / 2;
  }
  next_.assign(pairs, kNone);
  prev_.assign(pairs, kNone);
  inUse_.assign(pairs, false);
  for (uint32_t i = 0; i < pairs; ++i) {
    pushBack(i);
  }
}

bool PortAllocator::indexOf(uint16_t rtp, uint32_t& index) const {
  if (rtp < first_ || (rtp - first_) % 2 != 0) {
    return false;
  }
  index = static_cast<uint32_t>(rtp - first_) / 2;
  return index < inUse_.size();
}

void PortAllocator::pushBack(uint32_t index) {
  prev_[index] = tail_;
  next_[index] = kNone;
  if (tail_ == kNone) {
    head_ = index;
  } else {
    next_[tail_] = index;
  }
  tail_ = index;
}

void PortAllocator::unlink(uint32_t index) {
  uint32_t p = prev_[index];
  uint32_t n = next_[index];
  if (p == kNone) {
    head_ = n;
  } else {
    next_[p] = n;
  }
  if (n == kNone) {
    tail_ = p;
  } else {
    prev_[n] = p;
  }
  prev_[index] = next_[index] = kNone;
}

Result<uint16_t> PortAllocator::allocate() {
  if (head_ == kNone) {
    return Error(ErrorCode::Overloaded, "realm " + realm_ + ": no free media port pair (" +
                                            std::to_string(inUse_.size()) + " in use)");
  }
  uint32_t index = head_;
  unlink(index);
  inUse_[index] = true;
  ++pairsInUse_;
  return static_cast<uint16_t>(first_ + index * 2);
}

Result<void> PortAllocator::free(uint16_t rtp) {
  uint32_t index = 0;
  if (!indexOf(rtp, index)) {
    return Error(ErrorCode::InvalidArgument,
                 "realm " + realm_ + ": " + std::to_string(rtp) + " is not a pair of the range");
  }
  if (!inUse_[index]) {
    return Error(ErrorCode::NotFound,
                 "realm " + realm_ + ": port " + std::to_string(rtp) + " freed twice");
  }
  inUse_[index] = false;
  --pairsInUse_;
  pushBack(index);
  return {};
}

Result<void> PortAllocator::reserve(uint16_t rtp) {
  uint32_t index = 0;
  if (!indexOf(rtp, index)) {
    return Error(ErrorCode::InvalidArgument,
                 "realm " + realm_ + ": " + std::to_string(rtp) + " is not a pair of the range");
  }
  if (inUse_[index]) {
    return Error(ErrorCode::AlreadyExists,
                 "realm " + realm_ + ": port " + std::to_string(rtp) + " already in use");
  }
  unlink(index);
  inUse_[index] = true;
  ++pairsInUse_;
  return {};
}

bool PortAllocator::inUse(uint16_t rtp) const {
  uint32_t index = 0;
  return indexOf(rtp, index) && inUse_[index];
}

}  // namespace rampart::cp
