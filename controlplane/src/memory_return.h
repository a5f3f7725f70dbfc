#pragma once
// Gives memory back to the system after a burst. A burst of calls leaves tens of thousands of
// freed SIP messages and finished transactions (they linger 64*T1, RFC 3261 17) in malloc's
// free lists; glibc returns only the top of its heaps by itself, so without this the resident
// size stays at the burst's high-water mark. Once per second the load (transactions + calls)
// is sampled; each time it has fallen to a quarter of its peak (then of the load at the last
// trim, down to zero), malloc_trim() releases the free pages.
#include <cstddef>
#include <cstdint>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace rampart::cp {

class MemoryReturn {
 public:
  explicit MemoryReturn(prometheus::Registry& registry);
  /// Called once per second with the current number of transactions plus calls.
  void sample(std::size_t load);

 private:
  static constexpr std::size_t kMinPeak = 256;  // below this a burst is not worth a trim
  void trim();

  std::size_t peak_ = 0;       // of the current burst (0: none)
  std::size_t next_trim_ = 0;  // trim once the load is down to this
  prometheus::Counter* trims_ = nullptr;
  prometheus::Counter* returned_ = nullptr;
};

/// This process's resident set size in bytes (/proc/self/statm), 0 if unreadable.
uint64_t residentBytes();

}  // namespace rampart::cp
