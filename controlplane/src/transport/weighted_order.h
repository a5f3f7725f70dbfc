#pragma once
// RFC 2782 ordering of next hops: lowest priority first; within one priority, a weighted random
// draw without replacement, so over many calls each entry leads its group in proportion to its
// weight (weight 0 entries come after the weighted ones of their priority). Used for DNS SRV
// records and for the configured route targets alike.
#include <cstdint>
#include <functional>
#include <vector>

namespace rampart::cp {

struct PriorityWeight {
  uint32_t priority = 0;
  uint32_t weight = 0;
};

/// Returns a uniformly distributed integer in [0, bound] (inclusive).
using UniformDraw = std::function<uint32_t(uint32_t bound)>;

/// The order in which to try `entries` (indices into it). `draw` is the random source (tests
/// pass a deterministic one); the default is a per-thread PRNG seeded from random_device.
std::vector<std::size_t> weightedOrder(const std::vector<PriorityWeight>& entries,
                                       const UniformDraw& draw = {});

}  // namespace rampart::cp
