// Rampart's DTLS certificate: generated (P-256, self-signed, random serial, valid now) or
// loaded from PEM files, with errors naming the file.
#include "dtls/identity.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

namespace rampart::cp::dtls {
namespace {

namespace fs = std::filesystem;

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rampart-dtls-id-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const Identity& id, bool key) {
    std::string path = (dir_ / name).string();
    FILE* f = std::fopen(path.c_str(), "w");
    if (key) {
      PEM_write_PrivateKey(f, id.privateKey(), nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_X509(f, id.certificate());
    }
    std::fclose(f);
    return path;
  }

  fs::path dir_;
};

TEST_F(IdentityTest, GeneratesSelfSignedP256) {
  Result<Identity> id = Identity::generate();
  ASSERT_TRUE(id.ok()) << id.error().message;
  X509* x = id->certificate();
  EXPECT_EQ(EVP_PKEY_get_base_id(id->privateKey()), EVP_PKEY_EC);
  char curve[32] = {};
  size_t len = 0;
  EVP_PKEY_get_utf8_string_param(id->privateKey(), "group", curve, sizeof curve, &len);
  EXPECT_STREQ(curve, "prime256v1");
  EXPECT_EQ(X509_check_issued(x, x), X509_V_OK);  // self-signed
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notBefore(x)), -1);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notAfter(x)), 1);
  EXPECT_TRUE(
      std::regex_match(id->fingerprint(), std::regex("sha-256 [0-9A-F]{2}(:[0-9A-F]{2}){31}")))
      << id->fingerprint();

  Result<Identity> other = Identity::generate();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(
      ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(other->certificate())), 0);
  EXPECT_NE(id->fingerprint(), other->fingerprint());
}

TEST_F(IdentityTest, LoadsPemFiles) {
  Result<Identity> made = Identity::generate();
  ASSERT_TRUE(made.ok());
  std::string cert = write("c.pem", *made, false), key = write("k.pem", *made, true);
  Result<Identity> loaded = Identity::load(cert, key);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->fingerprint(), made->fingerprint());
}

TEST_F(IdentityTest, LoadErrorsNameTheFile) {
  Result<Identity> a = Identity::generate();
  Result<Identity> b = Identity::generate();
  std::string cert = write("a.pem", *a, false), key_b = write("b.key", *b, true);
  std::string missing = (dir_ / "missing.pem").string();

  Result<Identity> r = Identity::load(missing, key_b);
  EXPECT_EQ(r.error().code, ErrorCode::NotFound);
  EXPECT_NE(r.error().message.find(missing), std::string::npos);

  r = Identity::load(cert, key_b);
  EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
  EXPECT_NE(r.error().message.find(key_b), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("does not match"), std::string::npos);

  std::string junk = (dir_ / "junk.pem").string();
  std::ofstream(junk) << "not a certificate\n";
  r = Identity::load(junk, key_b);
  EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
  EXPECT_NE(r.error().message.find(junk), std::string::npos);
  r = Identity::load(cert, junk);
  EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
  EXPECT_NE(r.error().message.find(junk), std::string::npos);
}

}  // namespace
}  // namespace rampart::cp::dtls
