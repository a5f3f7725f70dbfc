#include "media/transcode_book.h"

namespace rampart::cp {

bool TranscodeBook::acquire(uint32_t a, uint32_t b, const std::string& pair) {
  for (uint32_t r : {a, b}) {
    if (full(r)) {
      ++refused_[r];
      return false;
    }
  }
  // A call within one realm counts once there.
  for (uint32_t r : (a == b ? std::vector<uint32_t>{a} : std::vector<uint32_t>{a, b})) {
    if (r < active_.size()) {
      ++active_[r];
    }
  }
  ++pairs_[pair];
  return true;
}

void TranscodeBook::release(uint32_t a, uint32_t b, const std::string& pair) {
  for (uint32_t r : (a == b ? std::vector<uint32_t>{a} : std::vector<uint32_t>{a, b})) {
    if (r < active_.size() && active_[r] > 0) {
      --active_[r];
    }
  }
  auto it = pairs_.find(pair);
  if (it != pairs_.end() && it->second > 0) {
    --it->second;
  }
}

}  // namespace rampart::cp
