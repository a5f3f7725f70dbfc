#include "srtp/srtp_ctx.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "packet_builder.h"
#include "srtp/hmac_sha1.h"

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

// libsrtp2's own HMAC-SHA1 auth type (2.5.0, hmac_ossl.c), for a differential check.
extern "C" const srtp_auth_type_t srtp_hmac;

namespace rampart::dp {
namespace {

std::vector<uint8_t> tagOf(const srtp_auth_type_t& type, const std::vector<uint8_t>& key,
                           const std::vector<uint8_t>& msg, int tag_len, size_t split) {
  srtp_auth_t* a = nullptr;
  EXPECT_EQ(type.alloc(&a, static_cast<int>(key.size()), tag_len), srtp_err_status_ok);
  EXPECT_EQ(type.init(a->state, key.data(), static_cast<int>(key.size())), srtp_err_status_ok);
  std::vector<uint8_t> tag(static_cast<size_t>(tag_len));
  for (int round = 0; round < 2; ++round) {  // start() must reset: the second tag is the same
    EXPECT_EQ(type.start(a->state), srtp_err_status_ok);
    EXPECT_EQ(type.update(a->state, msg.data(), static_cast<int>(split)), srtp_err_status_ok);
    EXPECT_EQ(type.compute(a->state, msg.data() + split, static_cast<int>(msg.size() - split),
                           tag_len, tag.data()),
              srtp_err_status_ok);
  }
  type.dealloc(a);
  return tag;
}

std::vector<uint8_t> unhex(const char* h) {
  std::vector<uint8_t> out;
  for (; h[0] != 0 && h[1] != 0; h += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h, 2), nullptr, 16)));
  }
  return out;
}

TEST(HmacSha1, Rfc2202Vectors) {
  struct Case {
    std::vector<uint8_t> key;
    std::vector<uint8_t> data;
    const char* digest;
  };
  const Case cases[] = {
      {std::vector<uint8_t>(20, 0x0b),
       {'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'},
       "b617318655057264e28bc0b6fb378c8ef146be00"},
      {{'J', 'e', 'f', 'e'},
       std::vector<uint8_t>({'w', 'h', 'a', 't', ' ', 'd', 'o', ' ', 'y', 'a', ' ', 'w', 'a', 'n',
                             't', ' ', 'f', 'o', 'r', ' ', 'n', 'o', 't', 'h', 'i', 'n', 'g', '?'}),
       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {std::vector<uint8_t>(20, 0xaa), std::vector<uint8_t>(50, 0xdd),
       "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(tagOf(hmacSha1Type(), c.key, c.data, 20, c.data.size() / 2), unhex(c.digest));
  }
}

// The same tags as libsrtp2's own HMAC for SRTP-shaped inputs: 20-byte session keys, 4-byte
// and 10-byte tags, messages of every length up to three SHA-1 blocks, split anywhere.
TEST(HmacSha1, MatchesLibsrtpHmac) {
  ASSERT_TRUE(srtpGlobalInit());
  uint32_t x = 12345;
  auto next = [&x] {
    x = x * 1103515245u + 12345u;
    return static_cast<uint8_t>(x >> 16);
  };
  for (size_t len = 0; len < 200; ++len) {
    std::vector<uint8_t> key(20);
    std::vector<uint8_t> msg(len);
    for (auto& b : key)
      b = next();
    for (auto& b : msg)
      b = next();
    int tag_len = len % 2 == 0 ? 10 : 4;
    size_t split = len == 0 ? 0 : next() % len;
    EXPECT_EQ(tagOf(hmacSha1Type(), key, msg, tag_len, split),
              tagOf(srtp_hmac, key, msg, tag_len, split))
        << "length " << len;
  }
}

TEST(HmacSha1, RefusesWhatLibsrtpRefuses) {
  srtp_auth_t* a = nullptr;
  EXPECT_EQ(hmacSha1Type().alloc(&a, 21, 10), srtp_err_status_bad_param);
  EXPECT_EQ(hmacSha1Type().alloc(&a, 20, 21), srtp_err_status_bad_param);
  EXPECT_EQ(a, nullptr);
}

}  // namespace
}  // namespace rampart::dp
