#pragma once
// Shared by the DTLS tests: a plain OpenSSL DTLS endpoint standing in for the browser (its own
// SSL_CTX, chosen use_srtp profiles, optional oversized ClientHello), fresh identities and
// contexts, and a wire that carries datagrams between two endpoints on the test's io_context.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dtls/datagram_bio.h"
#include "dtls/dtls_context.h"
#include "dtls/fingerprint.h"
#include "dtls/identity.h"
#include "dtls/srtp_export.h"

namespace rampart::cp::dtls::testing {

using Datagram = std::vector<uint8_t>;

inline std::shared_ptr<const Identity> newIdentity() {
  Result<Identity> id = Identity::generate();
  EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
  return std::make_shared<Identity>(std::move(id.value()));
}

inline std::shared_ptr<const DtlsContext> newContext(std::shared_ptr<const Identity> id) {
  Result<std::shared_ptr<DtlsContext>> ctx = DtlsContext::create(std::move(id));
  EXPECT_TRUE(ctx.ok()) << (ctx.ok() ? "" : ctx.error().message);
  return ctx.value();
}

inline std::vector<Fingerprint> fingerprintsOf(const Identity& id) {
  return {id.fingerprintSha256()};
}

inline std::vector<Fingerprint> wrongFingerprint() {
  Fingerprint fp;
  fp.alg = HashAlg::Sha256;
  fp.len = 32;
  fp.digest.fill(0xab);
  return {fp};
}

// A browser stand-in built on OpenSSL alone (no Session code): accepts any certificate.
class RawPeer {
 public:
  static constexpr unsigned int kTimerUs = 50000;

  struct Options {
    Role role = Role::Client;
    std::string profiles = "SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";
    size_t alpn_bytes = 0;  // >0: an ALPN list this long, to make the ClientHello big
    long mtu = 1200;
  };

  explicit RawPeer(Options o) : opts_(std::move(o)), identity_(newIdentity()) {
    ctx_ = SSL_CTX_new(DTLS_method());
    SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION);
    SSL_CTX_use_certificate(ctx_, identity_->certificate());
    SSL_CTX_use_PrivateKey(ctx_, identity_->privateKey());
    EXPECT_EQ(SSL_CTX_set_tlsext_use_srtp(ctx_, opts_.profiles.c_str()), 0);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       [](int, X509_STORE_CTX*) { return 1; });
    SSL_CTX_set_options(ctx_, SSL_OP_NO_QUERY_MTU);
    ssl_ = SSL_new(ctx_);
    rbio_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio_, -1);
    SSL_set_bio(ssl_, rbio_, newDatagramBio(&out_));
    SSL_set_mtu(ssl_, opts_.mtu);
    // A short fixed timer, so retransmit() need not wait a second.
    DTLS_set_timer_cb(ssl_, [](SSL*, unsigned int) -> unsigned int { return kTimerUs; });
    if (opts_.alpn_bytes > 0) {
      setBigAlpn();
    }
    if (opts_.role == Role::Client) {
      SSL_set_connect_state(ssl_);
    } else {
      SSL_set_accept_state(ssl_);
    }
  }
  ~RawPeer() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  const Identity& identity() const { return *identity_; }
  std::vector<Fingerprint> fingerprints() const { return fingerprintsOf(*identity_); }

  // Client: writes the first flight.
  void begin() { step(); }
  void receive(const Datagram& d) {
    BIO_write(rbio_, d.data(), static_cast<int>(d.size()));
    step();
    (void)BIO_reset(rbio_);
  }
  // Waits for the peer's retransmission timer and lets it fire.
  void retransmit() {
    std::this_thread::sleep_for(std::chrono::microseconds(kTimerUs + 10000));
    if (DTLSv1_handle_timeout(ssl_) < 0) {
      ERR_clear_error();
    }
  }
  void closeNotify() { SSL_shutdown(ssl_); }
  std::vector<Datagram> take() {
    std::vector<Datagram> out;
    size_t begin = 0;
    for (size_t end : out_.ends) {
      out.emplace_back(out_.bytes.begin() + static_cast<long>(begin),
                       out_.bytes.begin() + static_cast<long>(end));
      begin = end;
    }
    out_.clear();
    return out;
  }
  bool done() const { return done_; }
  bool failed() const { return failed_; }

  // The exporter output split as RFC 5764 4.2 says, for comparison with Session's keys.
  struct Material {
    std::vector<uint8_t> client, server;  // key||salt of each side
  };
  Material material() {
    Material m;
    const SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl_);
    if (p == nullptr) {
      return m;
    }
    std::optional<SrtpProfileInfo> info = profileById(static_cast<uint16_t>(p->id));
    if (!info) {
      return m;
    }
    size_t k = info->key_bytes, s = info->salt_bytes;
    std::vector<uint8_t> all(2 * (k + s));
    const char label[] = "EXTRACTOR-dtls_srtp";
    EXPECT_EQ(SSL_export_keying_material(ssl_, all.data(), all.size(), label, sizeof label - 1,
                                         nullptr, 0, 0),
              1);
    auto part = [&](size_t key_off, size_t salt_off) {
      std::vector<uint8_t> v(all.begin() + static_cast<long>(key_off),
                             all.begin() + static_cast<long>(key_off + k));
      v.insert(v.end(), all.begin() + static_cast<long>(salt_off),
               all.begin() + static_cast<long>(salt_off + s));
      return v;
    };
    m.client = part(0, 2 * k);
    m.server = part(k, 2 * k + s);
    return m;
  }

 private:
  void step() {
    ERR_clear_error();
    if (!done_) {
      int r = SSL_do_handshake(ssl_);
      if (r == 1) {
        done_ = true;
      } else {
        int e = SSL_get_error(ssl_, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
          failed_ = true;
        }
      }
    } else {
      uint8_t buf[2048];
      while (SSL_read(ssl_, buf, sizeof buf) > 0) {
      }
    }
    ERR_clear_error();
  }

  // Protocol names of 200 bytes until the list is alpn_bytes long: the ClientHello grows
  // past the MTU the way post-quantum key shares make it.
  void setBigAlpn() {
    std::vector<uint8_t> list;
    uint8_t n = 0;
    while (list.size() + 201 <= opts_.alpn_bytes) {
      list.push_back(200);
      for (int i = 0; i < 200; ++i) {
        list.push_back(static_cast<uint8_t>('a' + (n + i) % 26));
      }
      ++n;
    }
    EXPECT_EQ(SSL_set_alpn_protos(ssl_, list.data(), static_cast<unsigned>(list.size())), 0);
  }

  Options opts_;
  std::shared_ptr<const Identity> identity_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;
  DatagramSink out_;
  bool done_ = false;
  bool failed_ = false;
};

inline std::vector<uint8_t> keyBytes(const abi::SrtpParams& p) {
  return {p.key, p.key + p.key_len};
}

}  // namespace rampart::cp::dtls::testing
