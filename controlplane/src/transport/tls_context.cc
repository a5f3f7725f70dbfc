#include "transport/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <filesystem>

#include <boost/asio/ip/address.hpp>

namespace rampart::cp {

namespace ssl = boost::asio::ssl;

const char* const kTls12CipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string takeOpenSslError(const std::string& fallback) {
  unsigned long code = ERR_get_error();
  if (code == 0) {
    return fallback;
  }
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

namespace {

Result<void> fileExists(const std::string& path, const char* what) {
  std::error_code ec;
  if (path.empty()) {
    return Error(ErrorCode::InvalidArgument, std::string(what) + " path is empty");
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error(ErrorCode::NotFound, std::string(what) + " not found: " + path);
  }
  return {};
}

// Protocol floor, ciphers and options shared by server and client contexts.
Result<void> applyPolicy(SSL_CTX* ctx) {
  // TLS 1.0/1.1 are deprecated (RFC 8996); SIP and browsers all speak 1.2+.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return Error(ErrorCode::Internal, takeOpenSslError("cannot set TLS 1.2 minimum"));
  }
  if (SSL_CTX_set_cipher_list(ctx, kTls12CipherList) != 1) {
    return Error(ErrorCode::Internal, takeOpenSslError("cannot set TLS 1.2 ciphers"));
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  // Partial writes and moving buffers are how Asio drives SSL_write.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  return {};
}

Result<void> loadChainAndKey(SSL_CTX* ctx, const std::string& certificate,
                             const std::string& private_key) {
  if (Result<void> r = fileExists(certificate, "certificate"); !r) {
    return r;
  }
  if (Result<void> r = fileExists(private_key, "private key"); !r) {
    return r;
  }
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, certificate.c_str()) != 1) {
    return Error(ErrorCode::InvalidArgument, "cannot load certificate chain " + certificate + ": " +
                                                 takeOpenSslError("not a PEM certificate"));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Error(ErrorCode::InvalidArgument, "cannot load private key " + private_key + ": " +
                                                 takeOpenSslError("not a PEM private key"));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Error(ErrorCode::InvalidArgument, "private key " + private_key +
                                                 " does not match certificate " + certificate +
                                                 ": " + takeOpenSslError("mismatch"));
  }
  return {};
}

}  // namespace

Result<TlsContextPtr> makeServerTlsContext(const platform::TlsSettings& settings) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  if (Result<void> r = applyPolicy(native); !r) {
    return r.error();
  }
  if (Result<void> r = loadChainAndKey(native, settings.certificate, settings.private_key); !r) {
    return r.error();
  }
  return ctx;
}

Result<TlsContextPtr> makeClientTlsContext(const ClientTlsOptions& options) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  if (Result<void> r = applyPolicy(native); !r) {
    return r.error();
  }
  if (options.verify_peer) {
    ERR_clear_error();
    if (options.ca_file.empty()) {
      if (SSL_CTX_set_default_verify_paths(native) != 1) {
        return Error(ErrorCode::Internal, takeOpenSslError("cannot load the system CA paths"));
      }
    } else {
      if (Result<void> r = fileExists(options.ca_file, "CA file"); !r) {
        return r.error();
      }
      if (SSL_CTX_load_verify_locations(native, options.ca_file.c_str(), nullptr) != 1) {
        return Error(ErrorCode::InvalidArgument,
                     "cannot load CA file " + options.ca_file + ": " + takeOpenSslError("bad PEM"));
      }
    }
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
  }
  if (!options.certificate.empty()) {
    if (Result<void> r = loadChainAndKey(native, options.certificate, options.private_key); !r) {
      return r.error();
    }
  }
  return ctx;
}

Result<void> setClientPeerName(SSL* ssl, const std::string& host) {
  // SNI is for names only (RFC 6066 3): never send an IP literal.
  boost::system::error_code ec;
  bool is_ip = !boost::asio::ip::make_address(host, ec).is_unspecified() && !ec;
  ERR_clear_error();
  // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
  if (!is_ip && SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                         const_cast<char*>(host.c_str())) != 1) {
    return Error(ErrorCode::InvalidArgument, takeOpenSslError("cannot set SNI " + host));
  }
  if ((SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                   : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    if (ok != 1) {
      return Error(ErrorCode::InvalidArgument, takeOpenSslError("cannot verify name " + host));
    }
  }
  return {};
}

}  // namespace rampart::cp
