#include "media_peer/tool_util.h"

#include <gtest/gtest.h>

#include <string>

namespace rampart::tools {
namespace {

std::string decodeToString(std::string_view in) {
  auto v = base64Decode(in);
  EXPECT_TRUE(v.has_value()) << in;
  return v ? std::string(v->begin(), v->end()) : std::string();
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(decodeToString(""), "");
  EXPECT_EQ(decodeToString("Zg=="), "f");
  EXPECT_EQ(decodeToString("Zm8="), "fo");
  EXPECT_EQ(decodeToString("Zm9v"), "foo");
  EXPECT_EQ(decodeToString("Zm9vYg=="), "foob");
  EXPECT_EQ(decodeToString("Zm9vYmE="), "fooba");
  EXPECT_EQ(decodeToString("Zm9vYmFy"), "foobar");
  // Padding is optional, as some SDP stacks drop it.
  EXPECT_EQ(decodeToString("Zm9vYg"), "foob");
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64Decode("Zm9v!mFy"));
  EXPECT_FALSE(base64Decode("Z"));      // 6 bits cannot make a byte
  EXPECT_FALSE(base64Decode("Zm9=v"));  // padding in the middle
  EXPECT_FALSE(base64Decode("Zh=="));   // non-zero leftover bits
  EXPECT_FALSE(base64Decode("Zg="));    // wrong amount of padding
  EXPECT_FALSE(base64Decode("Zm9v YmFy"));
}

TEST(Base64, RoundTripsEveryLength) {
  std::vector<uint8_t> data;
  for (int n = 0; n < 50; ++n) {
    auto back = base64Decode(base64Encode(data.data(), data.size()));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, data);
    data.push_back(static_cast<uint8_t>(n * 37 + 11));
  }
}

TEST(SdesKey, AcceptsInlineFormAndChecksLength) {
  std::vector<uint8_t> key(30, 0x42);
  const std::string b64 = base64Encode(key.data(), key.size());
  std::string why;
  auto k = decodeSdesKey("inline:" + b64 + "|2^31|1:1", SrtpSuite::AesCm128HmacSha1_80, why);
  ASSERT_TRUE(k.has_value()) << why;
  EXPECT_EQ(*k, key);
  EXPECT_FALSE(decodeSdesKey(b64, SrtpSuite::AeadAes128Gcm, why));
  EXPECT_NE(why.find("28"), std::string::npos) << why;
  EXPECT_FALSE(decodeSdesKey("not*base64", SrtpSuite::AesCm128HmacSha1_80, why));
}

TEST(Suites, NamesAndLengths) {
  EXPECT_EQ(suiteByName("AES_CM_128_HMAC_SHA1_80")->key_len, 30u);
  EXPECT_EQ(suiteByName("AES_CM_128_HMAC_SHA1_32")->tag_len, 4u);
  EXPECT_EQ(suiteByName("AEAD_AES_128_GCM")->key_len, 28u);
  EXPECT_EQ(suiteByName("AEAD_AES_256_GCM")->key_len, 44u);
  EXPECT_EQ(suiteByName("none")->suite, SrtpSuite::None);
  EXPECT_FALSE(suiteByName("aes_cm_128_hmac_sha1_80"));
  EXPECT_FALSE(suiteByName("F8_128_HMAC_SHA1_80"));
}

TEST(SockAddr, ParsesIpv4AndIpv6) {
  auto a = parseSockAddr("198.18.2.1:20000");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), AF_INET);
  EXPECT_EQ(a->port(), 20000);
  EXPECT_EQ(a->toString(), "198.18.2.1:20000");
  auto b = parseSockAddr("[2001:2:0:2::1]:5004");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->family(), AF_INET6);
  EXPECT_EQ(b->port(), 5004);
  EXPECT_EQ(b->toString(), "[2001:2:0:2::1]:5004");
  EXPECT_TRUE(parseSockAddr("127.0.0.1:0"));
}

TEST(SockAddr, RejectsBadInput) {
  for (const char* bad :
       {"198.18.2.1", "198.18.2.300:5", "198.18.2.1:65536", "198.18.2.1:-1", "2001:2::1:5004",
        "[2001:2::1]5004", "[2001:2::1", "host:5000", ":5000", "1.2.3.4:", "1.2.3.4:0x10"}) {
    EXPECT_FALSE(parseSockAddr(bad)) << bad;
  }
}

TEST(Numbers, BoundsAndBases) {
  EXPECT_EQ(parseUnsigned("0x10", 0, 100), 16u);
  EXPECT_EQ(parseUnsigned("42", 0, 100), 42u);
  EXPECT_FALSE(parseUnsigned("101", 0, 100));
  EXPECT_FALSE(parseUnsigned("4x", 0, 100));
  EXPECT_FALSE(parseUnsigned("", 0, 100));
  EXPECT_FALSE(parseUnsigned("-1", 0, 100));
  EXPECT_DOUBLE_EQ(*parseDouble("2.5", 0, 600), 2.5);
  EXPECT_FALSE(parseDouble("nan", 0, 600));
  EXPECT_FALSE(parseDouble("601", 0, 600));
}

}  // namespace
}  // namespace rampart::tools
