// RTCP terminated per transcoded leg: the report maths of RFC 3550 (A.1 sequence, A.3 loss,
// A.8 jitter, 6.4.1 LSR/DLSR and round trip) and the compound packet Rampart writes and reads.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "xcode_rtcp.h"

namespace rampart::xc {
namespace {

constexpr uint32_t kSsrc = 0x11223344;

// Packets 20 ms apart at 8 kHz arriving exactly on time, except those `drop` says.
template <typename Drop>
void feed(RtcpReceiver& r, uint16_t first, int count, Drop drop) {
  for (int i = 0; i < count; ++i) {
    auto seq = static_cast<uint16_t>(first + i);
    uint32_t ts = 1000u + 160u * static_cast<uint32_t>(i);
    if (!drop(i)) {
      r.onRtp(seq, ts, kSsrc, ts + 5000);
    }
  }
}

TEST(XcodeRtcp, LossIsCumulativeAndFractionPerInterval) {
  RtcpReceiver r;
  feed(r, 0, 100, [](int i) { return i % 20 == 7; });  // 5 % lost
  ReportBlock b = makeReportBlock(r, 0);
  EXPECT_EQ(b.ssrc, kSsrc);
  EXPECT_EQ(b.ext_max_seq, 99u);
  EXPECT_EQ(b.cumulative_lost, 5);
  EXPECT_EQ(b.fraction_lost, 5 * 256 / 100);  // 12: 8-bit fixed point
  feed(r, 100, 100, [](int) { return false; });
  b = makeReportBlock(r, 0);
  EXPECT_EQ(b.cumulative_lost, 5);  // nothing new lost ...
  EXPECT_EQ(b.fraction_lost, 0);    // ... in this interval
  EXPECT_EQ(b.ext_max_seq, 199u);
}

TEST(XcodeRtcp, ExtendedSequenceCountsWraps) {
  RtcpReceiver r;
  feed(r, 65500, 100, [](int) { return false; });
  ReportBlock b = makeReportBlock(r, 0);
  EXPECT_EQ(b.ext_max_seq, 65536u + 63u);  // 65500 + 99 - 65536 = 63, one cycle
  EXPECT_EQ(b.cumulative_lost, 0);
}

TEST(XcodeRtcp, DuplicatesGiveNegativeLossButNoFraction) {
  RtcpReceiver r;
  feed(r, 10, 10, [](int) { return false; });
  r.onRtp(15, 1800, kSsrc, 6800);  // a duplicate: counted as received (A.3)
  ReportBlock b = makeReportBlock(r, 0);
  EXPECT_EQ(b.cumulative_lost, -1);
  EXPECT_EQ(b.fraction_lost, 0);
}

TEST(XcodeRtcp, RestartedSequenceResyncsAfterTwoInARow) {
  RtcpReceiver r;
  feed(r, 100, 10, [](int) { return false; });
  r.onRtp(40000, 9000, kSsrc, 14000);  // one far jump is ignored ...
  EXPECT_EQ(r.received, 10u);
  r.onRtp(40001, 9160, kSsrc, 14160);  // ... the next in sequence restarts the statistics
  EXPECT_EQ(r.received, 1u);
  EXPECT_EQ(r.base_seq, 40001u);
}

TEST(XcodeRtcp, JitterFollowsA8) {
  RtcpReceiver r;
  feed(r, 0, 50, [](int) { return false; });
  EXPECT_EQ(makeReportBlock(r, 0).jitter, 0u);  // constant transit: no jitter
  RtcpReceiver j;
  // Every other packet 10 ms (80 units at 8 kHz) late: |D| = 80 for each packet after the first.
  for (uint32_t i = 0; i < 400; ++i) {
    uint32_t ts = 160 * i;
    j.onRtp(static_cast<uint16_t>(i), ts, kSsrc, ts + 3000 + (i % 2 == 1 ? 80 : 0));
    if (i == 1) {
      EXPECT_EQ(j.jitter_q4, 80u);  // J = 0 + (80 - 0) / 16 = 5, kept scaled by 16
    }
  }
  EXPECT_NEAR(static_cast<double>(makeReportBlock(j, 0).jitter), 80.0, 1.0);
}

TEST(XcodeRtcp, DlsrIsTheDelaySinceThePeersSr) {
  RtcpReceiver r;
  feed(r, 0, 5, [](int) { return false; });
  EXPECT_EQ(makeReportBlock(r, 3000000000ull).dlsr, 0u);  // no SR yet: LSR and DLSR zero
  r.lsr = 0xabcd1234;
  r.lsr_at_ns = 1000000000ull;
  ReportBlock b = makeReportBlock(r, 1500000000ull);
  EXPECT_EQ(b.lsr, 0xabcd1234u);
  EXPECT_EQ(b.dlsr, 32768u);  // 0.5 s in 1/65536 s
}

TEST(XcodeRtcp, NewSourceForgetsTheOldSourcesSr) {
  RtcpReceiver r;
  feed(r, 0, 5, [](int) { return false; });
  r.lsr = 0xabcd1234;
  r.lsr_at_ns = 1;
  r.onRtp(7000, 1, kSsrc + 1, 5000);  // the peer changed SSRC: statistics start again
  ReportBlock b = makeReportBlock(r, 2);
  EXPECT_EQ(b.ssrc, kSsrc + 1);
  EXPECT_EQ(b.lsr, 0u);
  EXPECT_EQ(b.ext_max_seq, 7000u);
  EXPECT_EQ(b.cumulative_lost, 0);
}

TEST(XcodeRtcp, RoundTripIsArrivalMinusLsrMinusDlsr) {
  uint32_t rtt = 0;
  uint32_t lsr = 0x12345678;
  // The peer held our SR for 1 s; it came back 1.1 s after we sent it: 100 ms round trip.
  ASSERT_TRUE(roundTrip(lsr + 65536 + 6554, lsr, 65536, &rtt));
  EXPECT_EQ(rtt, 6554u);
  ASSERT_TRUE(roundTrip(5, 0xfffffff0u, 3, &rtt));  // across the 16.16 wrap
  EXPECT_EQ(rtt, 18u);
  EXPECT_FALSE(roundTrip(lsr + 10, 0, 0, &rtt));             // the block carries no LSR
  EXPECT_FALSE(roundTrip(lsr + 100, lsr, 200, &rtt));        // negative: inconsistent
  EXPECT_FALSE(roundTrip(lsr + (60u << 16), lsr, 0, &rtt));  // a minute: not a round trip
}

TEST(XcodeRtcp, SrTimestampExtrapolatesFromTheLastPacket) {
  RtcpSender tx;
  tx.clock_rate = 8000;
  tx.onSent(1000, 160, true, 1000000000ull);
  tx.onSent(777777, 4, false, 1200000000ull);  // a telephone-event: counted, no clock reference
  EXPECT_EQ(tx.packets, 2u);
  EXPECT_EQ(tx.octets, 164u);
  EXPECT_EQ(tx.rtpTsAt(1500000000ull), 1000u + 4000u);
}

TEST(XcodeRtcp, ReportRoundTripsThroughTheParser) {
  RtcpSender tx;
  tx.ssrc = 0xfeedbeef;
  tx.clock_rate = 48000;
  tx.onSent(5000, 80, true, 2000000000ull);
  ReportBlock rb;
  rb.ssrc = kSsrc;
  rb.fraction_lost = 12;
  rb.cumulative_lost = -3;
  rb.ext_max_seq = 70000;
  rb.jitter = 42;
  rb.lsr = 0x01020304;
  rb.dlsr = 777;
  uint8_t buf[128];
  uint64_t ntp = (3900000000ull << 32) | 0x80000000u;
  std::size_t n = writeReport(buf, sizeof buf, tx, &rb, ntp, 2000000000ull);
  ASSERT_GT(n, 52u);
  EXPECT_EQ(n % 4, 0u);
  EXPECT_EQ(buf[1], 200);  // SR first
  RtcpIn in;
  ASSERT_TRUE(parseRtcp(buf, n, kSsrc, &in));
  EXPECT_TRUE(in.sr);
  EXPECT_EQ(in.sender_ssrc, 0xfeedbeefu);
  EXPECT_EQ(in.sr_ntp_mid, ntpMiddle(ntp));
  ASSERT_TRUE(in.block);
  EXPECT_EQ(in.about.fraction_lost, 12);
  EXPECT_EQ(in.about.cumulative_lost, -3);
  EXPECT_EQ(in.about.ext_max_seq, 70000u);
  EXPECT_EQ(in.about.jitter, 42u);
  EXPECT_EQ(in.about.lsr, 0x01020304u);
  EXPECT_EQ(in.about.dlsr, 777u);
  ASSERT_TRUE(parseRtcp(buf, n, 0x99, &in));
  EXPECT_FALSE(in.block);  // no block about another SSRC
  std::string cname(reinterpret_cast<const char*>(buf + 52 + 10), buf[52 + 9]);
  EXPECT_EQ(cname, "rampart-feedbeef");
}

TEST(XcodeRtcp, NothingSentYetIsAnRr) {
  RtcpSender tx;
  tx.ssrc = 7;
  uint8_t buf[128];
  std::size_t n = writeReport(buf, sizeof buf, tx, nullptr, 0, 0);
  ASSERT_GT(n, 8u);
  EXPECT_EQ(buf[1], 201);
  EXPECT_EQ(buf[0] & 0x1f, 0);
  EXPECT_EQ(writeReport(buf, 20, tx, nullptr, 0, 0), 0u);  // no room for SDES
}

TEST(XcodeRtcp, InvalidCompoundsAreRefused) {
  RtcpSender tx;
  tx.ssrc = 1;
  tx.packets = 1;
  ReportBlock rb;
  uint8_t good[128];
  std::size_t n = writeReport(good, sizeof good, tx, &rb, 0, 0);
  RtcpIn in;
  std::vector<uint8_t> p(good, good + n);
  EXPECT_FALSE(parseRtcp(p.data(), n - 4, 0, &in));  // lengths do not add up
  p[0] = 0x41;                                       // version 1
  EXPECT_FALSE(parseRtcp(p.data(), n, 0, &in));
  p.assign(good, good + n);
  p[0] |= 0x20;  // padding on a packet that is not the last
  EXPECT_FALSE(parseRtcp(p.data(), n, 0, &in));
  p.assign(good + 52, good + n);  // SDES first
  EXPECT_FALSE(parseRtcp(p.data(), p.size(), 0, &in));
  p.assign(good, good + n);
  p[0] = 0x9f;  // SR claiming 31 blocks in 52 bytes
  p[2] = 0;
  p[3] = 12;
  EXPECT_FALSE(parseRtcp(p.data(), 52, 0, &in));
  EXPECT_FALSE(parseRtcp(p.data(), 3, 0, &in));
}

}  // namespace
}  // namespace rampart::xc
