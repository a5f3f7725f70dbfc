// RFC 2782 ordering of next hops (SRV records and route targets): priorities strictly first,
// weights as shares within a priority, zero weights last in practice.
#include <gtest/gtest.h>

#include <map>

#include "transport/weighted_order.h"

namespace rampart::cp {
namespace {

TEST(WeightedOrder, LowerPriorityAlwaysFirst) {
  std::vector<PriorityWeight> e = {{20, 100}, {10, 1}, {30, 0}, {10, 1}};
  for (int i = 0; i < 50; ++i) {
    auto order = weightedOrder(e);
    ASSERT_EQ(order.size(), 4u);
    EXPECT_TRUE((order[0] == 1 && order[1] == 3) || (order[0] == 3 && order[1] == 1));
    EXPECT_EQ(order[2], 0u);
    EXPECT_EQ(order[3], 2u);
  }
}

TEST(WeightedOrder, DeterministicDrawPicksByRunningSum) {
  // Weights 60 and 40 (total 100): the number is 1 + draw in [0, 99]; 1-60 picks the first,
  // 61-100 the second.
  std::vector<PriorityWeight> e = {{10, 60}, {10, 40}};
  EXPECT_EQ(weightedOrder(e, [](uint32_t) { return 59u; }), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(weightedOrder(e, [](uint32_t) { return 60u; })[0], 1u);
  EXPECT_EQ(weightedOrder(e, [](uint32_t) { return 0u; })[0], 0u);
  std::vector<uint32_t> bounds;
  auto top = [&bounds](uint32_t b) {
    bounds.push_back(b);
    return b;
  };
  EXPECT_EQ(weightedOrder(e, top)[0], 1u);
  EXPECT_EQ(bounds, (std::vector<uint32_t>{99, 59}));  // then the 60 left: [1, 60]
}

TEST(WeightedOrder, SharesFollowWeights) {
  std::vector<PriorityWeight> e = {{1, 30}, {1, 10}, {1, 0}};
  std::map<std::size_t, int> first;
  constexpr int kRuns = 20000;
  for (int i = 0; i < kRuns; ++i) {
    ++first[weightedOrder(e)[0]];
  }
  // Shares exactly 30/40 and 10/40; the zero weight never leads while others are left.
  EXPECT_NEAR(first[0] / double(kRuns), 0.75, 0.02);
  EXPECT_NEAR(first[1] / double(kRuns), 0.25, 0.02);
  EXPECT_EQ(first[2], 0);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(weightedOrder(e)[2], 2u);
  }
}

TEST(WeightedOrder, AllZeroWeightsAndEmpty) {
  EXPECT_TRUE(weightedOrder({}).empty());
  auto order = weightedOrder({{5, 0}, {5, 0}, {5, 0}});
  ASSERT_EQ(order.size(), 3u);
  std::sort(order.begin(), order.end());
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2}));
}

}  // namespace
}  // namespace rampart::cp
