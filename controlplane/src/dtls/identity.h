#pragma once
// Rampart's DTLS identity: the certificate and key every DTLS-SRTP session presents, and the
// fingerprint that goes into Rampart's SDP (a=fingerprint). WebRTC peers do not validate
// chains: they pin the certificate by that fingerprint, so a self-signed certificate generated
// at start-up is the normal case; operators may load their own instead.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include <rampart/platform/result.h>

#include "dtls/fingerprint.h"

namespace rampart::cp::dtls {

class Identity {
 public:
  /// A fresh ECDSA P-256 key and a self-signed certificate for it: random 128-bit serial,
  /// valid from a day ago (clock skew) for a year, signed with SHA-256.
  /// @return the identity, or Error{Internal} naming the OpenSSL step that failed.
  static Result<Identity> generate();

  /// Loads a PEM certificate (the first one of the file is presented) and its private key.
  /// @return the identity, or Error{NotFound} / Error{InvalidArgument} naming the file
  ///   (missing, not PEM, key does not match the certificate).
  static Result<Identity> load(const std::string& certificate_path,
                               const std::string& private_key_path);

  X509* certificate() const { return cert_.get(); }
  EVP_PKEY* privateKey() const { return key_.get(); }
  /// "sha-256 AB:CD:..." for Rampart's a=fingerprint.
  const std::string& fingerprint() const { return fingerprint_text_; }
  const Fingerprint& fingerprintSha256() const { return fingerprint_; }

 private:
  struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
  };
  struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  Identity(X509* cert, EVP_PKEY* key);

  std::unique_ptr<X509, X509Free> cert_;
  std::unique_ptr<EVP_PKEY, KeyFree> key_;
  Fingerprint fingerprint_;
  std::string fingerprint_text_;
};

}  // namespace rampart::cp::dtls
