// The worker's RTCP round-trip observer (flow/rtcp_rtt.h): what it keeps from SRs and report
// blocks, and that truncated or lying lengths make it read nothing past the packet.
#include "flow/rtcp_rtt.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

namespace rampart::dp {
namespace {

void put32(std::vector<uint8_t>& p, std::size_t at, uint32_t v) {
  p[at] = static_cast<uint8_t>(v >> 24);
  p[at + 1] = static_cast<uint8_t>(v >> 16);
  p[at + 2] = static_cast<uint8_t>(v >> 8);
  p[at + 3] = static_cast<uint8_t>(v);
}

// SR (pt 200) or RR (201) with `blocks` report blocks, each quoting lsr/dlsr.
std::vector<uint8_t> report(uint8_t pt, uint32_t blocks, uint64_t ntp, uint32_t lsr,
                            uint32_t dlsr) {
  std::size_t len = 8 + (pt == 200 ? 20 : 0) + 24 * blocks;
  std::vector<uint8_t> p(len, 0);
  p[0] = static_cast<uint8_t>(0x80 | blocks);
  p[1] = pt;
  p[2] = static_cast<uint8_t>((len / 4 - 1) >> 8);
  p[3] = static_cast<uint8_t>(len / 4 - 1);
  put32(p, 4, 0x11111111);
  std::size_t b = 8;
  if (pt == 200) {
    put32(p, 8, static_cast<uint32_t>(ntp >> 32));
    put32(p, 12, static_cast<uint32_t>(ntp));
    b = 28;
  }
  for (uint32_t i = 0; i < blocks; ++i, b += 24) {
    put32(p, b + 16, lsr);
    put32(p, b + 20, dlsr);
  }
  return p;
}

TEST(RtcpRtt, SrRemembersItsNtpMiddleAndWhenInARing) {
  RtcpRtt r{};
  for (uint32_t i = 0; i < abi::kRtcpSrSlots + 1; ++i) {
    auto sr = report(200, 0, (uint64_t{0xaaaa0000u + i} << 32) | 0xbbbb0000u, 0, 0);
    rtcpObserve(r, sr.data(), static_cast<uint32_t>(sr.size()), (1000 + i) * 1000ull);
  }
  // The fifth SR took the first slot.
  EXPECT_EQ(r.sr_mid[0], (0x0000u + abi::kRtcpSrSlots) << 16 | 0xbbbbu);
  EXPECT_EQ(r.sr_at_us[0], 1000u + abi::kRtcpSrSlots);
  EXPECT_EQ(r.sr_mid[1], 0x0001bbbbu);
  EXPECT_EQ(r.rr_lsr, 0u);  // an SR without blocks reports nothing
}

TEST(RtcpRtt, FirstReportBlockGivesArrivalMinusDlsr) {
  RtcpRtt r{};
  auto rr = report(201, 2, 0, 0x12345678, 65536 / 2);  // DLSR 0.5 s
  rtcpObserve(r, rr.data(), static_cast<uint32_t>(rr.size()), 3'000'000'000ull);
  EXPECT_EQ(r.rr_lsr, 0x12345678u);
  EXPECT_EQ(r.rr_at_us, 2'500'000u);
  auto sr = report(200, 1, uint64_t{1} << 40, 0x01020304, 65536);  // SR with a block, DLSR 1 s
  rtcpObserve(r, sr.data(), static_cast<uint32_t>(sr.size()), 5'000'000'000ull);
  EXPECT_EQ(r.rr_lsr, 0x01020304u);
  EXPECT_EQ(r.rr_at_us, 4'000'000u);
  EXPECT_EQ(r.sr_mid[0], 0x01000000u);
  auto none = report(201, 1, 0, 0, 100);  // LSR 0: no SR seen yet by that party
  rtcpObserve(r, none.data(), static_cast<uint32_t>(none.size()), 6'000'000'000ull);
  EXPECT_EQ(r.rr_lsr, 0x01020304u);
}

// A transcoded leg: the worker notes the SR rampart-transcoder sends (its block, about the
// party's stream, is not a block the party sent) and the party's block as its report arrives
// (its SR goes nowhere, so no slot).
TEST(RtcpRtt, TranscodedLegSplitsSrAndBlock) {
  RtcpRtt r{};
  auto ours = report(200, 1, uint64_t{0x0102} << 32 | 0x03040000u, 0x55555555, 65536);
  rtcpObserveSr(r, ours.data(), static_cast<uint32_t>(ours.size()), 2'000'000'000ull);
  EXPECT_EQ(r.sr_mid[0], 0x01020304u);
  EXPECT_EQ(r.sr_at_us[0], 2'000'000u);
  EXPECT_EQ(r.rr_lsr, 0u);
  auto theirs = report(200, 1, uint64_t{0x0a0b} << 32 | 0x0c0d0000u, 0x01020304, 65536 / 4);
  rtcpObserveBlock(r, theirs.data(), static_cast<uint32_t>(theirs.size()), 2'300'000'000ull);
  EXPECT_EQ(r.rr_lsr, 0x01020304u);
  EXPECT_EQ(r.rr_at_us, 2'050'000u);  // arrival minus DLSR 0.25 s: a 50 ms round trip
  EXPECT_EQ(r.sr_mid[1], 0u);
  auto empty = report(201, 0, 0, 0, 0);
  rtcpObserveBlock(r, empty.data(), 3, 3'000'000'000ull);  // shorter than a header
  EXPECT_EQ(r.rr_lsr, 0x01020304u);
}

TEST(RtcpRtt, TruncatedOrLyingPacketsTeachNothingAndStayInBounds) {
  auto sr = report(200, 1, uint64_t{1} << 40, 0x01020304, 1);
  // Every truncation, copied to an exact-size heap buffer so a read past it is caught by
  // ASan/valgrind in the fuzz preset.
  for (std::size_t n = 0; n < sr.size(); ++n) {
    RtcpRtt r{};
    auto buf = std::make_unique<uint8_t[]>(n + 1);
    std::memcpy(buf.get(), sr.data(), n);
    rtcpObserve(r, buf.get(), static_cast<uint32_t>(n), 1'000'000);
    EXPECT_EQ(r.rr_lsr, 0u) << n;
    EXPECT_EQ(r.sr_mid[0], 0u) << n;
  }
  // A count claiming more blocks than the length holds: the SR is kept, no block read.
  auto rr = report(201, 0, 0, 0, 0);
  rr[0] = 0x80 | 31;
  RtcpRtt r{};
  rtcpObserve(r, rr.data(), static_cast<uint32_t>(rr.size()), 1'000'000);
  EXPECT_EQ(r.rr_lsr, 0u);
  // Not version 2, or another packet type first: ignored.
  auto v1 = report(201, 1, 0, 5, 0);
  v1[0] = 0x41;
  rtcpObserve(r, v1.data(), static_cast<uint32_t>(v1.size()), 1'000'000);
  auto sdes = report(201, 1, 0, 5, 0);
  sdes[1] = 202;
  rtcpObserve(r, sdes.data(), static_cast<uint32_t>(sdes.size()), 1'000'000);
  EXPECT_EQ(r.rr_lsr, 0u);
}

}  // namespace
}  // namespace rampart::dp
