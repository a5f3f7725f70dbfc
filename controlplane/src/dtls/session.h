#pragma once
// One DTLS-SRTP handshake for one browser media leg, on the control plane's io_context.
//
// Records come in through receive() (one UDP payload at a time, already through
// checkDatagram) into a memory BIO; what OpenSSL writes leaves through the `send` hook, one
// datagram of at most opts.mtu bytes per call (a small BIO of ours keeps OpenSSL's datagram
// boundaries, which a plain memory BIO would merge). Retransmissions are driven by
// DTLSv1_get_timeout/DTLSv1_handle_timeout on a steady_timer, and a second timer bounds the
// whole handshake. Nothing blocks and there are no threads: the loop calls in, the session
// answers within the call.
//
// The peer's certificate is required and accepted only if it matches one of the fingerprints
// from its SDP (checked inside the handshake, so a mismatch aborts it with an alert, and again
// on the finished connection). On success `done` gets the SRTP keys for both directions; on
// failure an Error: PermissionDenied (fingerprint mismatch), Timeout, HandshakeFailed (any
// other failure: alert, no common profile or cipher, protocol error). `done` runs once, on the
// loop, as the last thing the session does in that call, so it may destroy the session.
//
// After success the session stays: if our last flight is lost, the peer retransmits its own,
// and OpenSSL answers it with ours again. A new fingerprint or an ICE restart that changes
// DTLS means a new Session.
#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <rampart/platform/result.h>

#include "dtls/datagram_bio.h"
#include "dtls/dtls_context.h"
#include "dtls/dtls_metrics.h"
#include "dtls/dtls_options.h"
#include "dtls/fingerprint.h"
#include "dtls/srtp_export.h"

namespace rampart::cp::dtls {

class Session final : public PeerVerifier {
 public:
  /// Sends one datagram toward the peer (the owner routes it to the inject ring). Must not
  /// destroy the session.
  using SendFn = std::function<void(std::span<const uint8_t> datagram)>;
  /// The outcome, exactly once; may destroy the session.
  using DoneFn = std::function<void(Result<SrtpKeys>)>;

  enum class State : uint8_t {
    Idle,         // created, start() not called
    Handshaking,  // started, no outcome yet
    Done,         // keys delivered; still answers retransmitted final flights
    Failed,       // error delivered; input ignored
    Closed,       // done, then the peer closed (close_notify) or broke the connection
  };

  struct Params {
    Role role = Role::Server;
    std::vector<Fingerprint> remote_fingerprints;  // from the peer's a=fingerprint lines
    SendFn send;
    DoneFn done;
  };

  /// @return a session ready to start(), or Error{Internal} when OpenSSL cannot make one,
  ///   Error{InvalidArgument} without fingerprints or with an MTU below kMinMtu.
  static Result<std::unique_ptr<Session>> create(boost::asio::io_context& io,
                                                 std::shared_ptr<const DtlsContext> ctx,
                                                 const DtlsOptions& opts, Params params,
                                                 DtlsMetrics* metrics = nullptr);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Arms the handshake timeout; a Client sends its ClientHello (through `send`) now.
  void start();
  /// Feeds one datagram from the peer. Ignored unless Handshaking or Done.
  void receive(std::span<const uint8_t> datagram);

  State state() const { return state_; }
  Role role() const { return role_; }
  /// Flights retransmitted so far (timer-driven).
  uint32_t retransmissions() const { return retransmissions_; }
  /// The negotiated protocol ("DTLSv1.2") and cipher, for logs; "" before Done.
  std::string protocolDescription() const;

  bool acceptPeerCertificate(X509* leaf) noexcept override;

 private:
  Session(boost::asio::io_context& io, std::shared_ptr<const DtlsContext> ctx,
          const DtlsOptions& opts, Params params, DtlsMetrics* metrics);
  Result<void> init();

  size_t minCiphertext() const;
  void drive();
  void handshakeStep();
  void drainApplicationData();
  void onHandshakeComplete();
  void fail(Outcome outcome, Error error);
  void flush();
  void armRetransmit();
  void onRetransmitTimer();
  void onHandshakeTimeout();
  void complete();  // delivers a pending outcome; must be the caller's last action

  static unsigned int nextTimerUs(SSL* ssl, unsigned int previous_us);

  std::shared_ptr<const DtlsContext> ctx_;
  DtlsOptions opts_;
  Role role_;
  std::vector<Fingerprint> remote_fingerprints_;
  SendFn send_;
  DoneFn done_;
  DtlsMetrics* metrics_;

  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // owned by ssl_
  DatagramSink outbox_;  // what OpenSSL wrote during the current call

  State state_ = State::Idle;
  bool fingerprint_mismatch_ = false;
  std::string peer_fingerprint_;  // what the peer presented when it did not match
  uint32_t retransmissions_ = 0;
  std::optional<Result<SrtpKeys>> pending_;

  boost::asio::steady_timer retransmit_timer_;
  boost::asio::steady_timer handshake_timer_;
  std::chrono::steady_clock::time_point retransmit_at_{};  // time_point{} when not armed
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // timer handlers check it
};

}  // namespace rampart::cp::dtls
