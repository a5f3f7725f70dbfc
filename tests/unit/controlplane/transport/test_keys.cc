#include "test_keys.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace rampart::cp::testing {
namespace {

std::string bioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

KeyPairPem toPem(EVP_PKEY* key) {
  if (key == nullptr) {
    throw std::runtime_error("key generation failed");
  }
  KeyPairPem out;
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, key);
  out.private_pem = bioText(priv);
  out.public_pem = bioText(pub);
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return out;
}

jwt_alg_t algOf(const std::string& alg) {
  if (alg == "HS256") {
    return JWT_ALG_HS256;
  }
  if (alg == "RS256") {
    return JWT_ALG_RS256;
  }
  if (alg == "ES256") {
    return JWT_ALG_ES256;
  }
  return JWT_ALG_NONE;
}

}  // namespace

KeyPairPem makeRsaKey() { return toPem(EVP_RSA_gen(2048)); }

KeyPairPem makeEcKey() { return toPem(EVP_EC_gen("P-256")); }

CertPem makeSelfSignedCert() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  X509_sign(x, key, EVP_sha256());
  BIO* cert = BIO_new(BIO_s_mem());
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert, x);
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  CertPem out{bioText(cert), bioText(priv)};
  BIO_free(cert);
  BIO_free(priv);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

std::string mintToken(const std::string& alg, const std::string& key, const std::string& kid,
                      const std::string& claims_json) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) {
    throw std::runtime_error("jwt_new");
  }
  if (jwt_add_grants_json(jwt, claims_json.c_str()) != 0) {
    jwt_free(jwt);
    throw std::runtime_error("bad claims json: " + claims_json);
  }
  if (!kid.empty()) {
    jwt_add_header(jwt, "kid", kid.c_str());
  }
  jwt_alg_t a = algOf(alg);
  int rc = a == JWT_ALG_NONE
               ? jwt_set_alg(jwt, a, nullptr, 0)
               : jwt_set_alg(jwt, a, reinterpret_cast<const unsigned char*>(key.data()),
                             static_cast<int>(key.size()));
  if (rc != 0) {
    jwt_free(jwt);
    throw std::runtime_error("jwt_set_alg " + alg);
  }
  char* text = jwt_encode_str(jwt);
  jwt_free(jwt);
  if (text == nullptr) {
    throw std::runtime_error("jwt_encode_str " + alg);
  }
  std::string out(text);
  // libjwt allocates with its own allocator, which defaults to malloc.
  free(text);  // NOLINT(cppcoreguidelines-no-malloc)
  return out;
}

void writeTextFile(const std::string& path, const std::string& text) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  chmod(path.c_str(), 0600);
}

}  // namespace rampart::cp::testing
