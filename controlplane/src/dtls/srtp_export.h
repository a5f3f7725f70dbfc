#pragma once
// DTLS-SRTP keying (RFC 5764 section 4.2): the negotiated use_srtp profile mapped to the
// dataplane's suite, and the exporter output split into the two directions' master key||salt,
// laid out as abi::SrtpParams wants them (key then salt, key_len = both), as SDES keys are.
#include <openssl/ssl.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include <rampart/platform/abi.h>
#include <rampart/platform/result.h>

namespace rampart::cp::dtls {

enum class Role : uint8_t {
  Server,  // we accept: our SDP says a=setup:passive
  Client,  // we connect: our SDP says a=setup:active
};

/// @return the role our own a=setup value gives ("active" -> Client, "passive" -> Server), or
///   nullopt for "actpass"/"holdconn"/anything else (an answer never carries actpass).
std::optional<Role> roleFromLocalSetup(std::string_view local_setup);

struct SrtpProfileInfo {
  uint16_t id;            // IANA DTLS-SRTP protection profile
  std::string_view name;  // "SRTP_AEAD_AES_128_GCM"
  abi::SrtpSuite suite;
  uint8_t key_bytes;
  uint8_t salt_bytes;
};

/// @return the profile with IANA id @p id among those we offer, or nullopt.
std::optional<SrtpProfileInfo> profileById(uint16_t id);

struct SrtpKeys {
  SrtpProfileInfo profile{};
  abi::SrtpParams local{};   // what we protect with (the direction we send)
  abi::SrtpParams remote{};  // what we unprotect with (the direction we receive)

  SrtpKeys() = default;
  SrtpKeys(const SrtpKeys&) = default;
  SrtpKeys& operator=(const SrtpKeys&) = default;
  ~SrtpKeys();  // wipes both keys
};

/// Exports the keying material of a completed handshake on @p ssl as @p role saw it.
/// @return the keys, or Error{HandshakeFailed} when no (known) profile was negotiated or the
///   exporter fails.
Result<SrtpKeys> exportSrtpKeys(SSL* ssl, Role role);

}  // namespace rampart::cp::dtls
