// RFC 3261 14.1: the retry delay after a 491 depends on who generated the Call-ID.
#include <gtest/gtest.h>

#include "b2bua/glare.h"

namespace rampart::cp {
namespace {

TEST(Glare, OwnerWaitsBetween2100And4000Ms) {
  EXPECT_EQ(glareDelay(true, [](uint32_t) { return 0u; }).count(), 2100);
  EXPECT_EQ(glareDelay(true, [](uint32_t b) { return b; }).count(), 4000);
  for (int i = 0; i < 1000; ++i) {
    auto d = glareDelay(true).count();
    EXPECT_GE(d, 2100);
    EXPECT_LE(d, 4000);
    EXPECT_EQ(d % 10, 0);
  }
}

TEST(Glare, NonOwnerWaitsUpTo2000Ms) {
  EXPECT_EQ(glareDelay(false, [](uint32_t) { return 0u; }).count(), 0);
  EXPECT_EQ(glareDelay(false, [](uint32_t b) { return b; }).count(), 2000);
  for (int i = 0; i < 1000; ++i) {
    auto d = glareDelay(false).count();
    EXPECT_GE(d, 0);
    EXPECT_LE(d, 2000);
  }
}

}  // namespace
}  // namespace rampart::cp
