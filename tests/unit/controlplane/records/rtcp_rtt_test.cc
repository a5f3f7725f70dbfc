// A leg's RTCP round trip from the two directions' FlowInfo (records/rtcp_rtt.h).
#include "records/rtcp_rtt.h"

#include <gtest/gtest.h>

namespace rampart::cp {
namespace {

abi::FlowInfo withSr(uint32_t mid, uint32_t at_us, uint32_t slot = 0) {
  abi::FlowInfo f{};
  f.rtcp_sr_mid[slot] = mid;
  f.rtcp_sr_at_us[slot] = at_us;
  return f;
}

abi::FlowInfo withRr(uint32_t lsr, uint32_t at_us) {
  abi::FlowInfo f{};
  f.rtcp_rr_lsr = lsr;
  f.rtcp_rr_at_us = at_us;
  return f;
}

TEST(LegRtt, PairsTheReportWithTheSrForwardedToThatParty) {
  // B's SR (mid 0x1234) forwarded toward A at 1 s; A's report quoting it, arrival - DLSR at
  // 1.040 s: leg A's round trip is 40 ms. Leg B has no report: unknown.
  abi::FlowInfo from_b = withSr(0x1234, 1'000'000, 2);
  abi::FlowInfo from_a = withRr(0x1234, 1'040'000);
  std::vector<RttFlow> flows{{0, &from_a}, {1, &from_b}};
  ASSERT_TRUE(legRttMs(0, flows).has_value());
  EXPECT_DOUBLE_EQ(*legRttMs(0, flows), 40.0);
  EXPECT_FALSE(legRttMs(1, flows).has_value());
}

TEST(LegRtt, MicrosecondClockWrapsAndSmallNegativesClampToZero) {
  abi::FlowInfo from_b = withSr(7, 0xffffff00u);
  abi::FlowInfo from_a = withRr(7, 0x00000100u);  // 512 us later, across the wrap
  std::vector<RttFlow> flows{{0, &from_a}, {1, &from_b}};
  EXPECT_DOUBLE_EQ(*legRttMs(0, flows), 0.512);
  from_a.rtcp_rr_at_us = 0xffffff00u - 20;  // DLSR rounding: 20 us "before" the forward
  EXPECT_DOUBLE_EQ(*legRttMs(0, flows), 0.0);
}

TEST(LegRtt, NoMatchNoAnswerAndImplausibleOnesRefused) {
  abi::FlowInfo from_b = withSr(7, 5'000'000);
  abi::FlowInfo from_a = withRr(8, 5'010'000);  // quotes an SR we do not remember
  std::vector<RttFlow> flows{{0, &from_a}, {1, &from_b}};
  EXPECT_FALSE(legRttMs(0, flows).has_value());
  from_a.rtcp_rr_lsr = 7;
  from_a.rtcp_rr_at_us = 5'000'000 - 50'000;  // 50 ms before the forward: a lie or garbage
  EXPECT_FALSE(legRttMs(0, flows).has_value());
  from_a.rtcp_rr_at_us = 5'000'000 + 20'000'000;  // 20 s
  EXPECT_FALSE(legRttMs(0, flows).has_value());
  // The SR must come from the other leg: a flow's own SRs never pair with its own reports.
  from_a.rtcp_rr_at_us = 5'010'000;
  std::vector<RttFlow> same{{0, &from_a}, {0, &from_b}, {1, nullptr}};
  EXPECT_FALSE(legRttMs(0, same).has_value());
}

TEST(LegRtt, SeveralStreamsGiveTheLargest) {
  abi::FlowInfo sr_audio = withSr(1, 100'000);
  abi::FlowInfo sr_video = withSr(2, 200'000, 3);
  abi::FlowInfo rr_audio = withRr(1, 110'000);
  abi::FlowInfo rr_video = withRr(2, 230'000);
  std::vector<RttFlow> flows{{1, &sr_audio}, {1, &sr_video}, {0, &rr_audio}, {0, &rr_video}};
  EXPECT_DOUBLE_EQ(*legRttMs(0, flows), 30.0);
}

}  // namespace
}  // namespace rampart::cp
