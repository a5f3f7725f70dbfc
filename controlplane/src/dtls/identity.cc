#include "dtls/identity.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cstdio>
#include <filesystem>

namespace rampart::cp::dtls {

namespace {

constexpr long kOneDay = 24L * 60 * 60;
constexpr long kValidity = 365 * kOneDay;

std::string opensslError(const char* fallback) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return fallback;
  }
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

Error internal(const char* step) {
  return Error(ErrorCode::Internal, std::string("DTLS certificate: ") + step +
                                        " failed: " + opensslError("no OpenSSL detail"));
}

// 128 random bits with the top bit clear: positive, and unique enough that browsers never see
// two of our certificates with one serial.
bool setRandomSerial(X509* x) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return false;
  }
  bytes[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(bytes, sizeof bytes, nullptr);
  ASN1_INTEGER* serial = bn != nullptr ? BN_to_ASN1_INTEGER(bn, nullptr) : nullptr;
  bool ok = serial != nullptr && X509_set_serialNumber(x, serial) == 1;
  ASN1_INTEGER_free(serial);
  BN_free(bn);
  return ok;
}

bool setSubject(X509* x) {
  X509_NAME* name = X509_get_subject_name(x);
  const auto* cn = reinterpret_cast<const unsigned char*>("rampart");
  return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1 &&
         X509_set_issuer_name(x, name) == 1;
}

Result<void> readable(const std::string& path, const char* what) {
  std::error_code ec;
  if (path.empty()) {
    return Error(ErrorCode::InvalidArgument, std::string("DTLS ") + what + " path is empty");
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error(ErrorCode::NotFound, std::string("DTLS ") + what + " not found: " + path);
  }
  return {};
}

}  // namespace

Identity::Identity(X509* cert, EVP_PKEY* key) : cert_(cert), key_(key) {
  certificateFingerprint(cert, HashAlg::Sha256, fingerprint_);
  fingerprint_text_ = formatFingerprint(fingerprint_);
}

Result<Identity> Identity::generate() {
  std::unique_ptr<EVP_PKEY, KeyFree> key(EVP_EC_gen("P-256"));
  if (!key) {
    return internal("P-256 key generation");
  }
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509* x = cert.get();
  if (x == nullptr || X509_set_version(x, 2) != 1 || !setRandomSerial(x)) {
    return internal("serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(x), -kOneDay) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x), kValidity) == nullptr) {
    return internal("validity");
  }
  if (!setSubject(x) || X509_set_pubkey(x, key.get()) != 1) {
    return internal("subject");
  }
  if (X509_sign(x, key.get(), EVP_sha256()) == 0) {
    return internal("signature");
  }
  return Identity(cert.release(), key.release());
}

Result<Identity> Identity::load(const std::string& certificate_path,
                                const std::string& private_key_path) {
  if (Result<void> r = readable(certificate_path, "certificate"); !r) {
    return r.error();
  }
  if (Result<void> r = readable(private_key_path, "private key"); !r) {
    return r.error();
  }
  ERR_clear_error();
  FILE* f = std::fopen(certificate_path.c_str(), "r");
  X509* cert = f != nullptr ? PEM_read_X509(f, nullptr, nullptr, nullptr) : nullptr;
  if (f != nullptr) {
    std::fclose(f);
  }
  if (cert == nullptr) {
    return Error(ErrorCode::InvalidArgument,
                 "DTLS certificate " + certificate_path +
                     " is not a PEM certificate: " + opensslError("unreadable"));
  }
  f = std::fopen(private_key_path.c_str(), "r");
  EVP_PKEY* key = f != nullptr ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr) : nullptr;
  if (f != nullptr) {
    std::fclose(f);
  }
  if (key == nullptr) {
    X509_free(cert);
    return Error(ErrorCode::InvalidArgument,
                 "DTLS private key " + private_key_path +
                     " is not a PEM private key: " + opensslError("unreadable"));
  }
  Identity id(cert, key);
  if (X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::InvalidArgument, "DTLS private key " + private_key_path +
                                                 " does not match certificate " + certificate_path);
  }
  return id;
}

}  // namespace rampart::cp::dtls
