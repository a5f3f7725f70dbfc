// SIP INFO DTMF bodies as PBXs and JsSIP send them, and as Rampart writes them.
#include "b2bua/dtmf_info.h"

#include <gtest/gtest.h>

namespace rampart::cp {
namespace {

TEST(DtmfInfo, ContentTypes) {
  EXPECT_TRUE(isDtmfInfo("application/dtmf-relay"));
  EXPECT_TRUE(isDtmfInfo("Application/DTMF-Relay; charset=utf-8"));
  EXPECT_TRUE(isDtmfInfo("application/dtmf"));
  EXPECT_FALSE(isDtmfInfo("application/sdp"));
  EXPECT_FALSE(isDtmfInfo("application/dtmf-relayx"));
  EXPECT_FALSE(isDtmfInfo(""));
}

TEST(DtmfInfo, RelayBodies) {
  auto d = parseDtmfInfo("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->event, 5);
  EXPECT_EQ(d->duration_ms, 160);
  d = parseDtmfInfo("application/dtmf-relay", "Signal= #\nDuration= 100\n");  // JsSIP's spacing
  ASSERT_TRUE(d);
  EXPECT_EQ(d->event, 11);
  EXPECT_EQ(d->duration_ms, 100);
  d = parseDtmfInfo("application/dtmf-relay", "signal=10");  // * as its code, no duration
  ASSERT_TRUE(d);
  EXPECT_EQ(d->event, 10);
  EXPECT_EQ(d->duration_ms, 250);
  d = parseDtmfInfo("application/dtmf-relay", "Signal=d\r\nDuration=99999\r\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->event, 15);
  EXPECT_EQ(d->duration_ms, 5000);  // clamped
}

TEST(DtmfInfo, PlainBodies) {
  auto d = parseDtmfInfo("application/dtmf", "7\r\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->event, 7);
  d = parseDtmfInfo("application/dtmf", "*");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->event, 10);
}

TEST(DtmfInfo, NoKeyNoDigit) {
  EXPECT_FALSE(parseDtmfInfo("application/dtmf-relay", "Duration=160\r\n"));
  EXPECT_FALSE(parseDtmfInfo("application/dtmf-relay", "Signal=X\r\n"));
  EXPECT_FALSE(parseDtmfInfo("application/dtmf-relay", "Signal=16\r\n"));
  EXPECT_FALSE(parseDtmfInfo("application/dtmf", "55"));
  EXPECT_FALSE(parseDtmfInfo("application/dtmf", ""));
  EXPECT_FALSE(parseDtmfInfo("text/plain", "Signal=5"));
  std::string junk(5000, '=');
  EXPECT_FALSE(parseDtmfInfo("application/dtmf-relay", junk));
}

TEST(DtmfInfo, WhatRampartSends) {
  EXPECT_EQ(dtmfInfoBody({11, 120}, true), "Signal=#\r\nDuration=120\r\n");
  EXPECT_EQ(dtmfInfoBody({3, 120}, false), "3");
  EXPECT_EQ(dtmfInfoType(true), "application/dtmf-relay");
  EXPECT_EQ(dtmfInfoType(false), "application/dtmf");
  auto round = parseDtmfInfo(dtmfInfoType(true), dtmfInfoBody({12, 300}, true));
  ASSERT_TRUE(round);
  EXPECT_EQ(round->event, 12);
  EXPECT_EQ(round->duration_ms, 300);
}

}  // namespace
}  // namespace rampart::cp
