#include "media/sdes_keys.h"

#include <rampart/platform/base64.h>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>

namespace rampart::cp {
namespace {

// RFC 4568 section 9.1's key, without its MKI.
constexpr std::string_view kRfcKey = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

TEST(Sdes, SuiteNames) {
  EXPECT_EQ(sdes::suiteFromName("AES_CM_128_HMAC_SHA1_80"), abi::SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_EQ(sdes::suiteFromName("AES_CM_128_HMAC_SHA1_32"), abi::SrtpSuite::AesCm128HmacSha1_32);
  EXPECT_EQ(sdes::suiteFromName("AEAD_AES_128_GCM"), abi::SrtpSuite::AeadAes128Gcm);
  EXPECT_EQ(sdes::suiteFromName("AEAD_AES_256_GCM"), abi::SrtpSuite::AeadAes256Gcm);
  EXPECT_FALSE(sdes::suiteFromName("F8_128_HMAC_SHA1_80"));
  EXPECT_FALSE(sdes::suiteFromName("aes_cm_128_hmac_sha1_80"));
  EXPECT_EQ(sdes::keySaltBytes(abi::SrtpSuite::AeadAes256Gcm), 44u);
  EXPECT_EQ(sdes::suiteName(abi::SrtpSuite::AeadAes128Gcm), "AEAD_AES_128_GCM");
}

TEST(Sdes, DecodesTheRfc4568Key) {
  Result<abi::SrtpParams> p = sdes::decodeInline("AES_CM_128_HMAC_SHA1_80", kRfcKey);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->suite, abi::SrtpSuite::AesCm128HmacSha1_80);
  ASSERT_EQ(p->key_len, 30);
  unsigned char ref[32];
  ASSERT_EQ(EVP_DecodeBlock(ref, reinterpret_cast<const unsigned char*>(kRfcKey.data()),
                            static_cast<int>(kRfcKey.size())),
            30);
  EXPECT_EQ(std::memcmp(p->key, ref, 30), 0);
  EXPECT_EQ(sdes::encodeInline(p.value()), kRfcKey);
}

TEST(Sdes, CryptoLineWithLifetimeIsAccepted) {
  Result<abi::SrtpParams> p = sdes::fromCryptoLine(
      "1 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->suite, abi::SrtpSuite::AesCm128HmacSha1_32);
}

TEST(Sdes, MkiIsRefusedAsNotAcceptable) {
  // RFC 4568 section 9.1 verbatim.
  Result<abi::SrtpParams> p = sdes::fromCryptoLine(
      "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::NotAcceptable);
  EXPECT_NE(p.error().message.find("MKI"), std::string::npos);
  Result<abi::SrtpParams> two = sdes::fromCryptoLine(
      "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4;"
      "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|1:4");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().code, ErrorCode::NotAcceptable);
}

TEST(Sdes, SessionParamsAndUnknownSuitesRefused) {
  Result<abi::SrtpParams> p = sdes::fromCryptoLine(
      "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR "
      "UNENCRYPTED_SRTP");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::NotAcceptable);
  Result<abi::SrtpParams> f8 =
      sdes::fromCryptoLine("1 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
  ASSERT_FALSE(f8.ok());
  EXPECT_EQ(f8.error().code, ErrorCode::NotAcceptable);
}

TEST(Sdes, BadBase64AndWrongLengthAreMalformed) {
  constexpr const char* kSuite = "AES_CM_128_HMAC_SHA1_80";
  EXPECT_EQ(sdes::decodeInline(kSuite, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!").error().code,
            ErrorCode::Malformed);
  EXPECT_EQ(sdes::decodeInline(kSuite, "PS1uQCVe eCFCanVmcjkpPywjNWhcYD0mXXtxaVB").error().code,
            ErrorCode::Malformed);
  // 28 bytes: right for AEAD_AES_128_GCM, wrong for AES_CM_128.
  const uint8_t raw[28] = {1, 2, 3};
  std::string k28 = platform::base64Encode(raw, sizeof raw);
  EXPECT_TRUE(sdes::decodeInline("AEAD_AES_128_GCM", k28).ok());
  Result<abi::SrtpParams> wrong = sdes::decodeInline("AES_CM_128_HMAC_SHA1_80", k28);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::Malformed);
  EXPECT_NE(wrong.error().message.find("28 bytes"), std::string::npos);
  Result<abi::SrtpParams> line = sdes::fromCryptoLine("1 AES_CM_128_HMAC_SHA1_80 inline:" + k28);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.error().code, ErrorCode::Malformed);
}

TEST(Sdes, GeneratedKeysAreFreshAndRoundTrip) {
  for (abi::SrtpSuite s : {abi::SrtpSuite::AesCm128HmacSha1_80, abi::SrtpSuite::AeadAes128Gcm,
                           abi::SrtpSuite::AeadAes256Gcm}) {
    Result<abi::SrtpParams> a = sdes::generate(s);
    Result<abi::SrtpParams> b = sdes::generate(s);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->key_len, sdes::keySaltBytes(s));
    EXPECT_NE(std::memcmp(a->key, b->key, a->key_len), 0);
    std::string text = sdes::encodeInline(a.value());
    Result<abi::SrtpParams> back = sdes::decodeInline(sdes::suiteName(s), text);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(std::memcmp(back->key, a->key, a->key_len), 0);
    sdes::wipe(a.value());
    EXPECT_EQ(a->key_len, 0);
    for (uint8_t byte : a->key) {
      EXPECT_EQ(byte, 0);
    }
  }
  EXPECT_EQ(sdes::generate(abi::SrtpSuite::None).error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace rampart::cp
