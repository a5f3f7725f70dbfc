#include "transport/weighted_order.h"

#include <algorithm>
#include <cstdint>
#include <random>

namespace rampart::cp {
namespace {

uint32_t defaultDraw(uint32_t bound) {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_int_distribution<uint32_t>(0, bound)(rng);
}

// RFC 2782, "Usage rules": zero-weight entries first, running sums, the first entry whose
// running sum reaches a random number is next; repeat until the group is empty. The number is
// drawn in [1, total] rather than RFC 2782's [0, total], which would favour the first entry
// (3:1 weights would share 4:1); so shares are exactly weight/total and a zero-weight entry
// comes after every weighted one of its priority.
void orderGroup(std::vector<std::size_t> group, const std::vector<PriorityWeight>& entries,
                const UniformDraw& draw, std::vector<std::size_t>* out) {
  std::stable_partition(group.begin(), group.end(),
                        [&](std::size_t i) { return entries[i].weight == 0; });
  while (!group.empty()) {
    uint64_t total = 0;
    for (std::size_t i : group) {
      total += entries[i].weight;
    }
    uint64_t pick =
        total == 0 ? 0 : 1 + draw(static_cast<uint32_t>(std::min<uint64_t>(total, UINT32_MAX) - 1));
    uint64_t running = 0;
    std::size_t chosen = group.size() - 1;
    for (std::size_t k = 0; k < group.size(); ++k) {
      running += entries[group[k]].weight;
      if (running >= pick) {
        chosen = k;
        break;
      }
    }
    out->push_back(group[chosen]);
    group.erase(group.begin() + static_cast<std::ptrdiff_t>(chosen));
  }
}

}  // namespace

std::vector<std::size_t> weightedOrder(const std::vector<PriorityWeight>& entries,
                                       const UniformDraw& draw) {
  const UniformDraw& d = draw ? draw : UniformDraw(defaultDraw);
  std::vector<std::size_t> byPriority(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    byPriority[i] = i;
  }
  std::stable_sort(byPriority.begin(), byPriority.end(), [&](std::size_t x, std::size_t y) {
    return entries[x].priority < entries[y].priority;
  });
  std::vector<std::size_t> out;
  out.reserve(entries.size());
  for (std::size_t start = 0; start < byPriority.size();) {
    std::size_t end = start;
    while (end < byPriority.size() &&
           entries[byPriority[end]].priority == entries[byPriority[start]].priority) {
      ++end;
    }
    orderGroup(std::vector<std::size_t>(byPriority.begin() + static_cast<std::ptrdiff_t>(start),
                                        byPriority.begin() + static_cast<std::ptrdiff_t>(end)),
               entries, d, &out);
    start = end;
  }
  return out;
}

}  // namespace rampart::cp
