#pragma once
// Keys, certificates and tokens made by the tests themselves (OpenSSL and libjwt), so no
// secret or certificate is committed and nothing depends on the lab's files.
#include <cstdint>
#include <string>

namespace rampart::cp::testing {

struct KeyPairPem {
  std::string private_pem;
  std::string public_pem;
};

/// A fresh RSA-2048 key pair as PEM (PKCS#8 private, SubjectPublicKeyInfo public).
KeyPairPem makeRsaKey();
/// A fresh P-256 key pair as PEM.
KeyPairPem makeEcKey();

/// A self-signed P-256 certificate for CN=localhost (and IP 127.0.0.1), PEM.
struct CertPem {
  std::string certificate;
  std::string private_key;
};
CertPem makeSelfSignedCert();

/// Signs `claims_json` with libjwt. `alg` is "HS256", "RS256", "ES256" or "none"; `key` is the
/// secret or the PEM private key; `kid` is left out of the header when empty.
std::string mintToken(const std::string& alg, const std::string& key, const std::string& kid,
                      const std::string& claims_json);

/// Writes `text` to `path` (mode 600).
void writeTextFile(const std::string& path, const std::string& text);

}  // namespace rampart::cp::testing
