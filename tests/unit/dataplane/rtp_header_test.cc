#include "pkt/rtp_header.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace rampart::dp {
namespace {

// A version 2 packet: `csrcs` CSRCs, an extension of `ext_words` words when `ext`, `payload`
// bytes of 0xaa and `pad` padding bytes (the last one counting them).
std::vector<uint8_t> rtp(uint8_t csrcs, bool ext, uint16_t ext_words, uint32_t payload,
                         uint8_t pad) {
  std::vector<uint8_t> p(12, 0);
  p[0] = static_cast<uint8_t>(0x80 | (pad != 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs);
  p[1] = 101;
  p.resize(p.size() + 4u * csrcs, 0x11);
  if (ext) {
    p.push_back(0xbe);
    p.push_back(0xde);
    p.push_back(static_cast<uint8_t>(ext_words >> 8));
    p.push_back(static_cast<uint8_t>(ext_words));
    p.resize(p.size() + 4u * ext_words, 0x22);
  }
  p.resize(p.size() + payload, 0xaa);
  if (pad != 0) {
    p.resize(p.size() + pad, 0);
    p.back() = pad;
  }
  return p;
}

RtpPayload payloadOf(const std::vector<uint8_t>& p) {
  RtpPayload at{};
  EXPECT_TRUE(rtpPayload(p.data(), p.size(), &at));
  return at;
}

TEST(RtpHeader, PlainHeader) {
  auto p = rtp(0, false, 0, 160, 0);
  EXPECT_EQ(rtpHeaderLen(p.data(), p.size()), 12u);
  RtpPayload at = payloadOf(p);
  EXPECT_EQ(at.offset, 12u);
  EXPECT_EQ(at.length, 160u);
}

TEST(RtpHeader, CsrcsExtensionAndPadding) {
  auto p = rtp(3, true, 2, 20, 4);
  EXPECT_EQ(rtpHeaderLen(p.data(), p.size()), 12u + 12u + 4u + 8u);
  RtpPayload at = payloadOf(p);
  EXPECT_EQ(at.offset, 36u);
  EXPECT_EQ(at.length, 20u);
  EXPECT_EQ(p[at.offset], 0xaa);
  EXPECT_EQ(p[at.offset + at.length - 1], 0xaa);
}

TEST(RtpHeader, EmptyPayloadIsWellFormed) {
  auto p = rtp(15, false, 0, 0, 0);
  RtpPayload at = payloadOf(p);
  EXPECT_EQ(at.offset, 72u);
  EXPECT_EQ(at.length, 0u);
  auto padded = rtp(0, false, 0, 0, 5);  // padding right after the header
  at = payloadOf(padded);
  EXPECT_EQ(at.offset, 12u);
  EXPECT_EQ(at.length, 0u);
}

TEST(RtpHeader, MalformedShortOrWrongVersion) {
  RtpPayload at{};
  auto p = rtp(0, false, 0, 4, 0);
  EXPECT_FALSE(rtpPayload(p.data(), 11, &at));
  EXPECT_EQ(rtpHeaderLen(p.data(), 11), 0u);
  EXPECT_FALSE(rtpPayload(p.data(), 0, &at));
  for (int version : {0, 1, 3}) {
    p[0] = static_cast<uint8_t>((version << 6) | (p[0] & 0x3f));
    EXPECT_FALSE(rtpPayload(p.data(), p.size(), &at)) << "version " << version;
  }
}

TEST(RtpHeader, MalformedCsrcsOrExtensionPastTheEnd) {
  RtpPayload at{};
  auto csrcs = rtp(4, false, 0, 0, 0);
  EXPECT_FALSE(rtpPayload(csrcs.data(), csrcs.size() - 1, &at));
  EXPECT_EQ(rtpHeaderLen(csrcs.data(), csrcs.size() - 1), 0u);
  auto ext = rtp(0, true, 3, 0, 0);
  EXPECT_FALSE(rtpPayload(ext.data(), ext.size() - 1, &at));  // extension words cut
  EXPECT_FALSE(rtpPayload(ext.data(), 14, &at));              // extension header cut
  EXPECT_EQ(rtpHeaderLen(ext.data(), 15), 0u);
  ext[14] = 0xff;  // an extension length far past the packet
  ext[15] = 0xff;
  EXPECT_FALSE(rtpPayload(ext.data(), ext.size(), &at));
}

TEST(RtpHeader, MalformedPadding) {
  RtpPayload at{};
  auto zero = rtp(0, false, 0, 10, 1);
  zero.back() = 0;  // a padding count of zero
  EXPECT_FALSE(rtpPayload(zero.data(), zero.size(), &at));
  auto into_header = rtp(1, false, 0, 2, 2);
  into_header.back() = 5;  // reaches back into the CSRC list
  EXPECT_FALSE(rtpPayload(into_header.data(), into_header.size(), &at));
  into_header.back() = 255;  // longer than the packet
  EXPECT_FALSE(rtpPayload(into_header.data(), into_header.size(), &at));
  // Exactly the payload: still well formed, with nothing left.
  into_header.back() = 4;
  ASSERT_TRUE(rtpPayload(into_header.data(), into_header.size(), &at));
  EXPECT_EQ(at.length, 0u);
}

TEST(RtpHeader, HeaderLenIgnoresPadding) {
  // SRTP encrypts the padding: the header walk must not look at the last byte.
  auto p = rtp(0, false, 0, 8, 3);
  p.back() = 200;
  EXPECT_EQ(rtpHeaderLen(p.data(), p.size()), 12u);
}

}  // namespace
}  // namespace rampart::dp
