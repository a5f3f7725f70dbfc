#pragma once
// OpenSSL contexts for every TLS-based signalling transport (SIP over TLS, WSS), built once per
// realm and shared by its listeners and connections. Policy lives here so all transports agree:
// TLS 1.2 or 1.3 only, ECDHE key exchange with AEAD ciphers only, no compression, no
// renegotiation.
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include <rampart/platform/config.h>
#include <rampart/platform/result.h>

namespace rampart::cp {

using TlsContextPtr = std::shared_ptr<boost::asio::ssl::context>;

/// The TLS 1.2 cipher list offered and accepted (TLS 1.3 suites are all AEAD and left at
/// OpenSSL's default): ECDHE with AES-GCM or ChaCha20-Poly1305, ECDSA or RSA certificates.
extern const char* const kTls12CipherList;

/// Builds a server context from a realm's certificate chain and private key (PEM files).
/// @return Error InvalidArgument (bad PEM, key does not match) or NotFound, naming the file.
Result<TlsContextPtr> makeServerTlsContext(const platform::TlsSettings& settings);

struct ClientTlsOptions {
  // Verify the server's chain and name. Off is for labs only (self-signed PBXs).
  bool verify_peer = true;
  std::string ca_file;      // PEM bundle of trusted CAs; "" = the system's default paths
  std::string certificate;  // optional client certificate chain (mutual TLS); "" = none
  std::string private_key;  // its key; required when `certificate` is set
};

/// Builds a client context for outbound SIP over TLS with the same protocol and cipher policy.
/// The caller sets SNI and the expected host name per connection (see setClientPeerName).
/// @return Error naming the file that could not be loaded.
Result<TlsContextPtr> makeClientTlsContext(const ClientTlsOptions& options);

/// Sets SNI and, when the context verifies peers, the host name the certificate must match,
/// on one client connection's SSL handle.
/// @return Error InvalidArgument when OpenSSL refuses the name.
Result<void> setClientPeerName(SSL* ssl, const std::string& host);

/// The first queued OpenSSL error as text (and clears the queue); `fallback` when none.
std::string takeOpenSslError(const std::string& fallback);

}  // namespace rampart::cp
