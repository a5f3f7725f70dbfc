#pragma once
// The one SSL_CTX every DTLS-SRTP session is made from: Rampart's identity, DTLS 1.2 (1.3
// where the OpenSSL build offers it), ECDHE with AEAD ciphers, use_srtp with the three
// profiles the dataplane applies, and a peer certificate that is required and then pinned by
// the session's expected fingerprint instead of a chain (see Session).
#include <openssl/ssl.h>

#include <memory>

#include <rampart/platform/result.h>

#include "dtls/identity.h"

namespace rampart::cp::dtls {

/// use_srtp profiles in our order of preference (a server picks the first the client offers).
extern const char* const kSrtpProfiles;
/// DTLS 1.2 cipher suites (DTLS 1.3 suites are all AEAD and left at OpenSSL's default).
extern const char* const kDtlsCipherList;

/// What the context's certificate callback consults: the object a session sets as its SSL's
/// app data (SSL_set_app_data with a PeerVerifier*). Called inside OpenSSL: must not throw.
class PeerVerifier {
 public:
  /// @return true to accept the peer's leaf certificate @p leaf.
  virtual bool acceptPeerCertificate(X509* leaf) noexcept = 0;

 protected:
  ~PeerVerifier() = default;
};

class DtlsContext {
 public:
  /// Builds the context around @p identity (shared: sessions and the SDP need it).
  /// @return the context, or Error{Internal} naming the OpenSSL step that failed.
  static Result<std::shared_ptr<DtlsContext>> create(std::shared_ptr<const Identity> identity);

  ~DtlsContext();
  DtlsContext(const DtlsContext&) = delete;
  DtlsContext& operator=(const DtlsContext&) = delete;

  SSL_CTX* native() const { return ctx_; }
  const Identity& identity() const { return *identity_; }

 private:
  DtlsContext(SSL_CTX* ctx, std::shared_ptr<const Identity> identity)
      : ctx_(ctx), identity_(std::move(identity)) {}

  SSL_CTX* ctx_;
  std::shared_ptr<const Identity> identity_;
};

}  // namespace rampart::cp::dtls
