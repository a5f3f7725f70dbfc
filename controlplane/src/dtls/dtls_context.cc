#include "dtls/dtls_context.h"

#include <openssl/err.h>

#include <string>

namespace rampart::cp::dtls {

const char* const kSrtpProfiles =
    "SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";

const char* const kDtlsCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";

namespace {

Error failed(const char* step) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  char buf[256] = "no OpenSSL detail";
  if (code != 0) {
    ERR_error_string_n(code, buf, sizeof buf);
  }
  return Error(ErrorCode::Internal, std::string("DTLS context: ") + step + ": " + buf);
}

// Replaces OpenSSL's chain verification: WebRTC certificates are self-signed and pinned by the
// fingerprint in the peer's SDP, which only the session (the SSL's PeerVerifier) knows.
int verifyByFingerprint(X509_STORE_CTX* store, void* /*arg*/) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* verifier = ssl != nullptr ? static_cast<PeerVerifier*>(SSL_get_app_data(ssl)) : nullptr;
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (verifier == nullptr || leaf == nullptr || !verifier->acceptPeerCertificate(leaf)) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

Result<void> applyPolicy(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, 0) != 1) {
    return failed("protocol versions");
  }
  if (SSL_CTX_set_cipher_list(ctx, kDtlsCipherList) != 1) {
    return failed("cipher list");
  }
  if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
    return failed("key exchange groups");
  }
  // Returns 0 on success (unlike nearly every other OpenSSL setter).
  if (SSL_CTX_set_tlsext_use_srtp(ctx, kSrtpProfiles) != 0) {
    return failed("use_srtp profiles");
  }
  // MTU is set per session and never queried from a socket we do not have; no resumption,
  // no renegotiation: one full handshake per media leg.
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, verifyByFingerprint, nullptr);
  return {};
}

Result<void> useIdentity(SSL_CTX* ctx, const Identity& id) {
  if (SSL_CTX_use_certificate(ctx, id.certificate()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, id.privateKey()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return failed("certificate and key");
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<DtlsContext>> DtlsContext::create(std::shared_ptr<const Identity> identity) {
  if (!identity || identity->certificate() == nullptr) {
    return Error(ErrorCode::InvalidArgument, "DTLS context: no identity");
  }
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  if (ctx == nullptr) {
    return failed("SSL_CTX_new");
  }
  std::shared_ptr<DtlsContext> out(new DtlsContext(ctx, std::move(identity)));
  if (Result<void> r = applyPolicy(ctx); !r) {
    return r.error();
  }
  if (Result<void> r = useIdentity(ctx, *out->identity_); !r) {
    return r.error();
  }
  return out;
}

DtlsContext::~DtlsContext() { SSL_CTX_free(ctx_); }

}  // namespace rampart::cp::dtls
