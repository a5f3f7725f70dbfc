#pragma once
// A token bucket whose rate and burst come from the caller on each take, so an entry holds only
// its fill level and time (16 bytes) and a config reload applies to every bucket at once.
#include <algorithm>
#include <cstdint>

#include <rampart/platform/config.h>

namespace rampart::cp::security {

struct TokenBucket {
  double tokens = -1;  // < 0: never used (starts full)
  int64_t last_us = 0;

  /// Takes one token at time `now_us`. A rate of 0 per second means no limit.
  bool take(const platform::RateLimit& r, int64_t now_us) {
    if (r.per_second == 0) {
      return true;
    }
    double burst = std::max<double>(1, r.burst);
    if (tokens < 0) {
      tokens = burst;
    } else if (now_us > last_us) {
      tokens = std::min(burst, tokens + static_cast<double>(now_us - last_us) * r.per_second / 1e6);
    }
    last_us = std::max(last_us, now_us);
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
};

}  // namespace rampart::cp::security
