#pragma once
// SDES (RFC 4568) key material: Rampart's own master key||salt per stream from a CSPRNG, its
// base64 form for a=crypto "inline:", and the peer's a=crypto turned into abi::SrtpParams.
//
// Rampart supports the suites the dataplane supports: AES_CM_128_HMAC_SHA1_80/32 (RFC 4568)
// and AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 7714). It refuses what the dataplane cannot
// apply: MKI (and so several keys on one line), and any SDES session parameter (KDR,
// UNENCRYPTED_SRTP, FEC_ORDER, ...), each as Error{NotAcceptable} (488) with the reason.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <rampart/platform/abi.h>
#include <rampart/platform/result.h>
#include <rampart/sdp/attributes.h>

namespace rampart::cp::sdes {

/// @return the dataplane suite for an SDP crypto-suite name (case-sensitive, as RFC 4568
///   registers them), or nullopt for a suite the dataplane does not support.
std::optional<abi::SrtpSuite> suiteFromName(std::string_view name);
/// @return the SDP name of @p suite ("" for None).
std::string_view suiteName(abi::SrtpSuite suite);
/// @return master key + salt bytes of @p suite (30, 30, 28, 44; 0 for None).
size_t keySaltBytes(abi::SrtpSuite suite);

/// Fresh master key||salt for @p suite from OpenSSL's CSPRNG (RAND_bytes).
/// @return the params, or Error{InvalidArgument} for suite None, Error{Internal} when the
///   CSPRNG fails (not seeded).
Result<abi::SrtpParams> generate(abi::SrtpSuite suite);

/// @return base64 (RFC 4648, padded) of params.key[0..key_len): the value after "inline:".
std::string encodeInline(const abi::SrtpParams& params);

/// Decodes the peer's key: @p suiteName and the base64 key||salt of "inline:".
/// @return the params, or Error{NotAcceptable} for an unsupported suite, Error{Malformed} for
///   bad base64 or a length that does not match the suite.
Result<abi::SrtpParams> decodeInline(std::string_view suiteName, std::string_view base64);

/// The peer's a=crypto line (already parsed by sdp::parseCrypto) as the dataplane's params.
/// @return the params, or Error{NotAcceptable} for an unsupported suite, several keys, an MKI or
///   session parameters; Error{Malformed} for a bad key.
Result<abi::SrtpParams> fromCrypto(const sdp::Crypto& crypto);
/// As fromCrypto, for the value of an a=crypto attribute ("1 AES_CM_128_HMAC_SHA1_80 inline:..").
/// @return as fromCrypto, plus Error{Malformed} when the line does not parse.
Result<abi::SrtpParams> fromCryptoLine(std::string_view value);

/// Overwrites key material so it does not linger in freed memory (OPENSSL_cleanse).
void wipe(abi::SrtpParams& params);
void wipe(std::string& secret);

}  // namespace rampart::cp::sdes
