#include "srtp/srtp_ctx.h"

#include <gtest/gtest.h>

#include <vector>

#include "packet_builder.h"

namespace rampart::dp {
namespace {

abi::SrtpParams params(abi::SrtpSuite s, uint8_t seed) {
  abi::SrtpParams p{};
  p.suite = s;
  p.key_len = static_cast<uint8_t>(srtpKeyLen(s));
  for (uint32_t i = 0; i < p.key_len; ++i) {
    p.key[i] = static_cast<uint8_t>(seed + i * 13);
  }
  return p;
}

class SrtpSuites : public ::testing::TestWithParam<abi::SrtpSuite> {
 protected:
  void SetUp() override { ASSERT_TRUE(srtpGlobalInit()); }
};

TEST_P(SrtpSuites, ProtectUnprotectRoundTripAndFailures) {
  SrtpCtx out;
  SrtpCtx in;
  ASSERT_EQ(out.init(params(GetParam(), 1), SrtpCtx::Dir::Outbound), abi::kOk);
  ASSERT_EQ(in.init(params(GetParam(), 1), SrtpCtx::Dir::Inbound), abi::kOk);
  auto plain = test::rtpPacket(100, 8000, 0x11223344, 160);
  std::vector<uint8_t> buf(plain.size() + kSrtpMaxTrailer);
  std::copy(plain.begin(), plain.end(), buf.begin());
  auto len = static_cast<uint32_t>(plain.size());
  ASSERT_EQ(out.protectRtp(buf.data(), &len, static_cast<uint32_t>(buf.size())), kNoDrop);
  EXPECT_GT(len, plain.size());
  std::vector<uint8_t> wire(buf.begin(), buf.begin() + len);
  // Tampered copy fails authentication.
  auto bad = wire;
  bad[20] ^= 1;
  auto blen = static_cast<uint32_t>(bad.size());
  EXPECT_EQ(in.unprotectRtp(bad.data(), &blen), DropReason::SrtpAuth);
  auto ok = wire;
  auto olen = static_cast<uint32_t>(ok.size());
  ASSERT_EQ(in.unprotectRtp(ok.data(), &olen), kNoDrop);
  ASSERT_EQ(olen, plain.size());
  EXPECT_TRUE(std::equal(plain.begin(), plain.end(), ok.begin()));
  // Replay of the same packet.
  auto again = wire;
  auto alen = static_cast<uint32_t>(again.size());
  EXPECT_EQ(in.unprotectRtp(again.data(), &alen), DropReason::SrtpReplay);
  // RTCP through the same sessions.
  auto rtcp = test::rtcpPacket(0x11223344);
  std::vector<uint8_t> rb(rtcp.size() + kSrtpMaxTrailer);
  std::copy(rtcp.begin(), rtcp.end(), rb.begin());
  auto rlen = static_cast<uint32_t>(rtcp.size());
  ASSERT_EQ(out.protectRtcp(rb.data(), &rlen, static_cast<uint32_t>(rb.size())), kNoDrop);
  ASSERT_EQ(in.unprotectRtcp(rb.data(), &rlen), kNoDrop);
  EXPECT_EQ(rlen, rtcp.size());
  // A different key does not authenticate.
  SrtpCtx other;
  ASSERT_EQ(other.init(params(GetParam(), 9), SrtpCtx::Dir::Inbound), abi::kOk);
  auto w2 = wire;
  auto l2 = static_cast<uint32_t>(w2.size());
  EXPECT_EQ(other.unprotectRtp(w2.data(), &l2), DropReason::SrtpAuth);
  // No room for the trailer.
  auto small = plain;
  auto slen = static_cast<uint32_t>(small.size());
  EXPECT_EQ(out.protectRtp(small.data(), &slen, slen), DropReason::SrtpError);
}

INSTANTIATE_TEST_SUITE_P(All, SrtpSuites,
                         ::testing::Values(abi::SrtpSuite::AesCm128HmacSha1_80,
                                           abi::SrtpSuite::AesCm128HmacSha1_32,
                                           abi::SrtpSuite::AeadAes128Gcm,
                                           abi::SrtpSuite::AeadAes256Gcm));

TEST(SrtpCtx, RejectsBadParameters) {
  ASSERT_TRUE(srtpGlobalInit());
  SrtpCtx c;
  auto p = params(abi::SrtpSuite::AesCm128HmacSha1_80, 1);
  p.key_len = 16;
  EXPECT_EQ(c.init(p, SrtpCtx::Dir::Inbound), abi::kErrInval);
  p.suite = static_cast<abi::SrtpSuite>(77);
  EXPECT_EQ(c.init(p, SrtpCtx::Dir::Inbound), abi::kErrNotSup);
  p.suite = abi::SrtpSuite::None;
  EXPECT_EQ(c.init(p, SrtpCtx::Dir::Inbound), abi::kOk);
  EXPECT_FALSE(c.active());
}

}  // namespace
}  // namespace rampart::dp
