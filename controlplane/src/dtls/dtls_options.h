#pragma once
// What the DTLS module takes from the configuration (the control plane's config loader fills
// it; every field has a working default).
#include <chrono>
#include <cstdint>
#include <string>

namespace rampart::cp::dtls {

struct DtlsOptions {
  // PEM certificate and private key presented to browsers. Both empty: an ECDSA P-256
  // certificate is generated at start-up (the normal WebRTC practice; peers pin it by the
  // fingerprint in our SDP, so a new one per start costs nothing).
  std::string certificate;
  std::string private_key;
  // From start() to keys: a leg whose handshake is not done by then fails with Timeout.
  std::chrono::milliseconds handshake_timeout{10000};
  // First retransmission of an unanswered flight; doubles per retransmission up to
  // kMaxRetransmit (RFC 6347 section 4.2.4.1 suggests 1 s).
  std::chrono::milliseconds retransmit_initial{1000};
  // Largest datagram we send (UDP payload). 1200 fits any path WebRTC cares about (the
  // browser's own default) and leaves room for TURN/IPv6 overheads; never probed.
  uint16_t mtu = 1200;
};

inline constexpr std::chrono::milliseconds kMaxRetransmit{8000};
inline constexpr uint16_t kMinMtu = 256;

}  // namespace rampart::cp::dtls
