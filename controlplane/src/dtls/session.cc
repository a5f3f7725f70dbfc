#include "dtls/session.h"

#include <openssl/err.h>

#include <algorithm>
#include <utility>

#include <rampart/platform/log.h>

#include "dtls/record_demux.h"

namespace rampart::cp::dtls {

namespace {

using Clock = std::chrono::steady_clock;

// The reason of the first queued OpenSSL error ("sslv3 alert handshake failure"), and clears
// the queue so the next call starts clean.
std::string takeReason(const char* fallback) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  return reason != nullptr ? reason : fallback;
}

const char* roleName(Role r) { return r == Role::Server ? "server" : "client"; }

}  // namespace

Result<std::unique_ptr<Session>> Session::create(boost::asio::io_context& io,
                                                 std::shared_ptr<const DtlsContext> ctx,
                                                 const DtlsOptions& opts, Params params,
                                                 DtlsMetrics* metrics) {
  if (!ctx) {
    return Error(ErrorCode::InvalidArgument, "DTLS session without a context");
  }
  if (params.remote_fingerprints.empty()) {
    return Error(ErrorCode::InvalidArgument, "DTLS session without the peer's a=fingerprint");
  }
  if (opts.mtu < kMinMtu) {
    return Error(ErrorCode::InvalidArgument,
                 "DTLS MTU " + std::to_string(opts.mtu) + " is below " + std::to_string(kMinMtu));
  }
  std::unique_ptr<Session> s(new Session(io, std::move(ctx), opts, std::move(params), metrics));
  if (Result<void> r = s->init(); !r) {
    return r.error();
  }
  return s;
}

Session::Session(boost::asio::io_context& io, std::shared_ptr<const DtlsContext> ctx,
                 const DtlsOptions& opts, Params params, DtlsMetrics* metrics)
    : ctx_(std::move(ctx)),
      opts_(opts),
      role_(params.role),
      remote_fingerprints_(std::move(params.remote_fingerprints)),
      send_(std::move(params.send)),
      done_(std::move(params.done)),
      metrics_(metrics),
      retransmit_timer_(io),
      handshake_timer_(io) {
  if (metrics_ != nullptr) {
    metrics_->sessionOpened();
  }
}

Session::~Session() {
  retransmit_timer_.cancel();
  handshake_timer_.cancel();
  SSL_free(ssl_);  // frees both BIOs
  if (metrics_ != nullptr) {
    metrics_->sessionClosed();
  }
}

Result<void> Session::init() {
  ERR_clear_error();
  ssl_ = SSL_new(ctx_->native());
  rbio_ = BIO_new(BIO_s_mem());
  BIO* wbio = newDatagramBio(&outbox_);
  if (ssl_ == nullptr || rbio_ == nullptr || wbio == nullptr) {
    BIO_free(rbio_);
    BIO_free(wbio);
    return Error(ErrorCode::Internal, "DTLS session: " + takeReason("out of memory"));
  }
  // An empty read BIO means "wait for the next datagram", not end of stream.
  BIO_set_mem_eof_return(rbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio);
  SSL_set_app_data(ssl_, static_cast<PeerVerifier*>(this));
  if (SSL_set_mtu(ssl_, opts_.mtu) == 0) {  // returns the MTU set, 0 when refused
    return Error(ErrorCode::Internal, "DTLS session: MTU refused: " + takeReason("?"));
  }
  DTLS_set_timer_cb(ssl_, &Session::nextTimerUs);
  if (role_ == Role::Server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
  return {};
}

// First retransmission after opts.retransmit_initial, then doubling up to kMaxRetransmit.
unsigned int Session::nextTimerUs(SSL* ssl, unsigned int previous_us) {
  auto* self = static_cast<Session*>(static_cast<PeerVerifier*>(SSL_get_app_data(ssl)));
  auto initial = std::chrono::duration_cast<std::chrono::microseconds>(
      self != nullptr ? self->opts_.retransmit_initial : std::chrono::milliseconds(1000));
  auto cap = std::chrono::duration_cast<std::chrono::microseconds>(kMaxRetransmit);
  if (previous_us == 0) {
    return static_cast<unsigned int>(initial.count());
  }
  return static_cast<unsigned int>(std::min<long long>(2LL * previous_us, cap.count()));
}

void Session::start() {
  if (state_ != State::Idle) {
    return;
  }
  state_ = State::Handshaking;
  handshake_timer_.expires_after(opts_.handshake_timeout);
  handshake_timer_.async_wait(
      [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
        if (!ec && !alive.expired()) {
          onHandshakeTimeout();
        }
      });
  if (role_ == Role::Client) {
    drive();  // writes the ClientHello
    complete();
  }
}

void Session::receive(std::span<const uint8_t> datagram) {
  if ((state_ != State::Handshaking && state_ != State::Done) || datagram.empty()) {
    return;
  }
  if (hasShortCiphertext(datagram, minCiphertext())) {
    if (metrics_ != nullptr) {
      metrics_->dropped(DropReason::ShortCiphertext);
    }
    return;
  }
  BIO_write(rbio_, datagram.data(), static_cast<int>(datagram.size()));
  drive();
  // OpenSSL takes a whole datagram per read; whatever it left (a record it refused midway)
  // must not be glued to the next one.
  (void)BIO_reset(rbio_);
  complete();
}

// Smallest protected record body: AES-GCM carries an 8-byte explicit nonce and a 16-byte tag,
// ChaCha20-Poly1305 only the tag. Before a cipher is chosen the larger bound applies.
size_t Session::minCiphertext() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c != nullptr && SSL_CIPHER_get_cipher_nid(c) == NID_chacha20_poly1305 ? 16 : 24;
}

void Session::drive() {
  if (state_ == State::Handshaking) {
    handshakeStep();
  }
  if (state_ == State::Done) {
    drainApplicationData();
  }
  flush();
  armRetransmit();
  // Records OpenSSL discarded may leave errors queued; the loop's other TLS users share this
  // thread's queue.
  ERR_clear_error();
}

void Session::handshakeStep() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    onHandshakeComplete();
    return;
  }
  int err = SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    return;
  }
  if (fingerprint_mismatch_) {
    ERR_clear_error();
    fail(Outcome::FingerprintMismatch,
         Error(ErrorCode::PermissionDenied,
               "DTLS peer certificate does not match the SDP a=fingerprint (peer presented " +
                   peer_fingerprint_ + ")"));
    return;
  }
  fail(Outcome::Failed,
       Error(ErrorCode::HandshakeFailed, "DTLS handshake failed: " + takeReason("protocol error")));
}

void Session::onHandshakeComplete() {
  // The callback already checked the certificate; check the finished connection's again so
  // no path to keys skips the pin.
  X509* peer = SSL_get0_peer_certificate(ssl_);
  if (peer == nullptr || !matchesAny(peer, remote_fingerprints_)) {
    fail(Outcome::FingerprintMismatch,
         Error(ErrorCode::PermissionDenied, "DTLS peer certificate does not match a=fingerprint"));
    return;
  }
  Result<SrtpKeys> keys = exportSrtpKeys(ssl_, role_);
  if (!keys) {
    fail(Outcome::Failed, keys.error());
    return;
  }
  state_ = State::Done;
  handshake_timer_.cancel();
  if (metrics_ != nullptr) {
    metrics_->handshake(Outcome::Ok, keys->profile.suite);
  }
  pending_.emplace(std::move(keys));
}

// After the handshake nothing but retransmitted handshake records and alerts is expected
// (no data channels): reading lets OpenSSL answer the former and notice a close_notify.
void Session::drainApplicationData() {
  uint8_t scratch[2048];
  for (;;) {
    ERR_clear_error();
    int r = SSL_read(ssl_, scratch, sizeof scratch);
    if (r > 0) {
      continue;  // application data (SCTP for a data channel): not supported, discarded
    }
    // A record OpenSSL discarded (bad MAC, replay) can leave an error queued, which
    // SSL_get_error reports as SSL_ERROR_SSL although the connection is intact; only a
    // close_notify or a connection that left its finished state (fatal alert) ends it. Then
    // the keys are in the dataplane already and media goes on; the session stops listening.
    bool closed = SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN ||
                  (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) != 0 ||
                  SSL_is_init_finished(ssl_) == 0;
    ERR_clear_error();
    if (closed) {
      state_ = State::Closed;
    }
    return;
  }
}

void Session::fail(Outcome outcome, Error error) {
  state_ = State::Failed;
  handshake_timer_.cancel();
  retransmit_timer_.cancel();
  retransmit_at_ = {};
  if (metrics_ != nullptr) {
    metrics_->handshake(outcome, abi::SrtpSuite::None);
  }
  RAMPART_LOG_RATELIMITED(platform::LogLevel::Info, "dtls", 10, "%s session: %s", roleName(role_),
                          error.message.c_str());
  pending_.emplace(std::move(error));
}

void Session::flush() {
  if (outbox_.ends.empty()) {
    return;
  }
  size_t begin = 0;
  for (size_t end : outbox_.ends) {
    if (send_) {
      send_(std::span<const uint8_t>(outbox_.bytes.data() + begin, end - begin));
    }
    begin = end;
  }
  outbox_.clear();
}

void Session::armRetransmit() {
  timeval tv{};
  bool running = state_ != State::Failed && DTLSv1_get_timeout(ssl_, &tv) == 1;
  if (!running) {
    if (retransmit_at_ != Clock::time_point{}) {
      retransmit_timer_.cancel();
      retransmit_at_ = {};
    }
    return;
  }
  auto at = Clock::now() + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  // Re-arm only when OpenSSL's deadline moved (a new flight), not on every record.
  if (retransmit_at_ != Clock::time_point{} &&
      std::chrono::abs(at - retransmit_at_) < std::chrono::milliseconds(2)) {
    return;
  }
  retransmit_at_ = at;
  retransmit_timer_.expires_at(at);
  retransmit_timer_.async_wait(
      [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
        if (!ec && !alive.expired()) {
          onRetransmitTimer();
        }
      });
}

void Session::onRetransmitTimer() {
  retransmit_at_ = {};
  if (state_ != State::Handshaking && state_ != State::Done) {
    return;
  }
  ERR_clear_error();
  int r = DTLSv1_handle_timeout(ssl_);
  if (r > 0) {
    ++retransmissions_;
    if (metrics_ != nullptr) {
      metrics_->retransmitted();
    }
  } else if (r < 0 && state_ == State::Handshaking) {
    fail(Outcome::Timeout,
         Error(ErrorCode::Timeout, "DTLS handshake: peer silent after " +
                                       std::to_string(retransmissions_) + " retransmissions"));
  }
  drive();
  complete();
}

void Session::onHandshakeTimeout() {
  if (state_ != State::Handshaking) {
    return;
  }
  std::string what = role_ == Role::Server && SSL_in_before(ssl_) ? "no ClientHello received"
                                                                  : "handshake not finished";
  fail(Outcome::Timeout,
       Error(ErrorCode::Timeout, "DTLS " + what + " within " +
                                     std::to_string(opts_.handshake_timeout.count()) + " ms (" +
                                     std::to_string(retransmissions_) + " retransmissions)"));
  flush();
  complete();
}

void Session::complete() {
  if (!pending_) {
    return;
  }
  Result<SrtpKeys> outcome = std::move(*pending_);
  pending_.reset();
  DoneFn done = std::move(done_);
  done_ = nullptr;
  if (done) {
    done(std::move(outcome));  // may destroy *this: nothing after it
  }
}

bool Session::acceptPeerCertificate(X509* leaf) noexcept {
  if (matchesAny(leaf, remote_fingerprints_)) {
    return true;
  }
  fingerprint_mismatch_ = true;
  Fingerprint seen;
  HashAlg alg = remote_fingerprints_.empty() ? HashAlg::Sha256 : remote_fingerprints_[0].alg;
  try {
    peer_fingerprint_ = certificateFingerprint(leaf, alg, seen) ? formatFingerprint(seen) : "?";
  } catch (...) {
    // Only the log text is lost.
  }
  return false;
}

std::string Session::protocolDescription() const {
  if (state_ != State::Done && state_ != State::Closed) {
    return {};
  }
  const char* cipher = SSL_get_cipher_name(ssl_);
  return std::string(SSL_get_version(ssl_)) + " " + (cipher != nullptr ? cipher : "?");
}

}  // namespace rampart::cp::dtls
