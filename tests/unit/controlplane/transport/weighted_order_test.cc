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
  // Weights 60 and 40 (total 100): a draw of 60 or less picks the first, above it the second.
  std::vector<PriorityWeight> e = {{10, 60}, {10, 40}};
  EXPECT_EQ(weightedOrder(e, [](uint32_t) { return 60u; }), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(weightedOrder(e, [](uint32_t) { return 61u; })[0], 1u);
  EXPECT_EQ(weightedOrder(e, [](uint32_t b) { return b; })[0], 1u);
}

TEST(WeightedOrder, SharesFollowWeights) {
  std::vector<PriorityWeight> e = {{1, 30}, {1, 10}, {1, 0}};
  std::map<std::size_t, int> first;
  constexpr int kRuns = 20000;
  for (int i = 0; i < kRuns; ++i) {
    ++first[weightedOrder(e)[0]];
  }
  // Expected shares about 30/41, 10/41 and 1/41 (a zero weight wins only a draw of 0).
  EXPECT_NEAR(first[0] / double(kRuns), 0.73, 0.03);
  EXPECT_NEAR(first[1] / double(kRuns), 0.24, 0.03);
  EXPECT_LT(first[2] / double(kRuns), 0.05);
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
