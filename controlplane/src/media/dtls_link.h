#pragma once
// What the media layer needs from DTLS-SRTP (RFC 5763/5764) on a browser leg: Rampart's
// certificate fingerprint for its SDP, and a handshake per browser transport whose records
// arrive punted on the flow that receives the browser's media. The dtls/ module implements it;
// the media layer depends only on this interface, so it is tested without OpenSSL peers.
#include <cstdint>
#include <functional>
#include <string>

#include <rampart/platform/abi.h>
#include <rampart/platform/result.h>

namespace rampart::cp {

/// SRTP master keys exported from a finished handshake (RFC 5764 section 4.2).
struct DtlsKeys {
  abi::SrtpParams local{};   ///< what Rampart protects with (toward the browser)
  abi::SrtpParams remote{};  ///< what the browser protects with (Rampart unprotects)
  std::string profile;       ///< e.g. "SRTP_AEAD_AES_128_GCM"
};

class DtlsLink {
 public:
  virtual ~DtlsLink() = default;
  using Done = std::function<void(Result<DtlsKeys>)>;

  /// Rampart's certificate fingerprint as SDP wants it after "sha-256 " (upper-case hex pairs).
  virtual std::string fingerprint() const = 0;
  /// Starts a handshake for the browser transport whose packets arrive on dataplane flow
  /// @p flow (abi::packHandle) of @p worker. @p client: Rampart connects (the browser answered
  /// a=setup:passive); the first ClientHello goes out once the ICE check selected the
  /// browser's address. @p peerFingerprint: "<hash> <hex>" from the browser's SDP, checked
  /// against its certificate. @p done runs once on the event loop. A second open() for the
  /// same flow replaces the first (its done never runs).
  virtual Result<void> open(uint32_t worker, uint64_t flow, bool client,
                            const std::string& peerFingerprint, Done done) = 0;
  /// Forgets the handshake of @p flow (call ended, flow replaced); its done never runs.
  virtual void close(uint64_t flow) = 0;
};

}  // namespace rampart::cp
