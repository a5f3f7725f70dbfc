// SDP fingerprints: parsing every hash RFC 8122 names, formatting, and the strongest-hash rule.
#include "dtls/fingerprint.h"

#include <gtest/gtest.h>

#include "dtls_test_util.h"

namespace rampart::cp::dtls {
namespace {

std::string hexOf(size_t bytes, const char* pair = "AB") {
  std::string s;
  for (size_t i = 0; i < bytes; ++i) {
    s += (i != 0 ? ":" : "");
    s += pair;
  }
  return s;
}

TEST(Fingerprint, ParsesEveryHashCaseInsensitively) {
  struct Case {
    const char* name;
    size_t bytes;
    HashAlg alg;
  };
  for (Case c : {Case{"sha-1", 20, HashAlg::Sha1}, Case{"SHA-224", 28, HashAlg::Sha224},
                 Case{"sha-256", 32, HashAlg::Sha256}, Case{"Sha-384", 48, HashAlg::Sha384},
                 Case{"sha-512", 64, HashAlg::Sha512}}) {
    Result<Fingerprint> fp = parseFingerprint(std::string(c.name) + " " + hexOf(c.bytes, "aB"));
    ASSERT_TRUE(fp.ok()) << c.name << ": " << fp.error().message;
    EXPECT_EQ(fp->alg, c.alg);
    EXPECT_EQ(fp->len, c.bytes);
    EXPECT_EQ(fp->digest[0], 0xab);
  }
}

TEST(Fingerprint, FormatsUpperCaseColonSeparated) {
  Result<Fingerprint> fp = parseFingerprint("  sha-256 " + hexOf(32, "0f") + "\r");
  ASSERT_TRUE(fp.ok());
  EXPECT_EQ(formatFingerprint(*fp), "sha-256 " + hexOf(32, "0F"));
}

TEST(Fingerprint, RefusesBadInput) {
  EXPECT_EQ(parseFingerprint("md5 " + hexOf(16)).error().code, ErrorCode::NotAcceptable);
  EXPECT_EQ(parseFingerprint("sha-256").error().code, ErrorCode::Malformed);
  EXPECT_EQ(parseFingerprint("sha-256 " + hexOf(31)).error().code, ErrorCode::Malformed);
  EXPECT_EQ(parseFingerprint("sha-256 " + hexOf(33)).error().code, ErrorCode::Malformed);
  std::string bad = "sha-256 " + hexOf(32);
  bad[10] = 'G';
  EXPECT_EQ(parseFingerprint(bad).error().code, ErrorCode::Malformed);
  bad = "sha-256 " + hexOf(32);
  bad[10] = '-';
  EXPECT_EQ(parseFingerprint(bad).error().code, ErrorCode::Malformed);
}

TEST(Fingerprint, MatchesCertificateByTheStrongestHashOffered) {
  auto id = testing::newIdentity();
  X509* cert = id->certificate();
  Fingerprint sha1, sha256, sha512;
  ASSERT_TRUE(certificateFingerprint(cert, HashAlg::Sha1, sha1));
  ASSERT_TRUE(certificateFingerprint(cert, HashAlg::Sha256, sha256));
  ASSERT_TRUE(certificateFingerprint(cert, HashAlg::Sha512, sha512));
  EXPECT_EQ(sha256, id->fingerprintSha256());
  Fingerprint wrong256 = testing::wrongFingerprint()[0];

  EXPECT_TRUE(matchesAny(cert, std::vector<Fingerprint>{sha1}));
  EXPECT_TRUE(matchesAny(cert, std::vector<Fingerprint>{sha512}));
  EXPECT_TRUE(matchesAny(cert, std::vector<Fingerprint>{wrong256, sha256}));
  // A matching sha-1 does not rescue a wrong sha-256: the strongest offered decides.
  EXPECT_FALSE(matchesAny(cert, std::vector<Fingerprint>{sha1, wrong256}));
  EXPECT_FALSE(matchesAny(cert, std::vector<Fingerprint>{}));
  EXPECT_FALSE(matchesAny(testing::newIdentity()->certificate(), std::vector{sha256}));
}

}  // namespace
}  // namespace rampart::cp::dtls
