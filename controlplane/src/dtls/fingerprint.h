#pragma once
// Certificate fingerprints as SDP carries them (RFC 8122 a=fingerprint): "sha-256 AB:CD:...".
// Parsing the peer's, computing ours, and the check that binds a DTLS peer to its SDP.
#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rampart/platform/result.h>

namespace rampart::cp::dtls {

enum class HashAlg : uint8_t { Sha1, Sha224, Sha256, Sha384, Sha512 };

struct Fingerprint {
  HashAlg alg = HashAlg::Sha256;
  uint8_t len = 0;  // digest bytes
  std::array<uint8_t, 64> digest{};

  bool operator==(const Fingerprint& o) const {
    return alg == o.alg && len == o.len &&
           std::equal(digest.begin(), digest.begin() + len, o.digest.begin());
  }
};

/// @return the SDP name of @p alg ("sha-256").
std::string_view hashName(HashAlg alg);

/// Parses the value of an a=fingerprint attribute: "<hash> <hex:hex:...>". The hash name is
/// case-insensitive (sha-1, sha-224, sha-256, sha-384, sha-512), the hex is upper or lower case.
/// @return the fingerprint, or Error{NotAcceptable} for an unsupported hash function,
///   Error{Malformed} for bad hex or a length that does not match the hash.
Result<Fingerprint> parseFingerprint(std::string_view sdp_value);

/// @return @p fp in SDP form: "sha-256 AB:CD:..." (upper-case hex, colon-separated).
std::string formatFingerprint(const Fingerprint& fp);

/// Digest of @p cert's DER encoding with @p alg. @return false when OpenSSL fails.
bool certificateFingerprint(X509* cert, HashAlg alg, Fingerprint& out);

/// The RFC 8122 section 5 rule: among @p expected, the ones using the strongest hash function
/// present are compared with @p cert; one of them must match. An empty list never matches.
bool matchesAny(X509* cert, std::span<const Fingerprint> expected);

}  // namespace rampart::cp::dtls
