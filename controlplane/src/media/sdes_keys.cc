#include "media/sdes_keys.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>

#include <rampart/platform/base64.h>

namespace rampart::cp::sdes {

namespace {

struct SuiteName {
  std::string_view name;
  abi::SrtpSuite suite;
  uint8_t keySalt;
};
constexpr std::array<SuiteName, 4> kSuites{{
    {"AES_CM_128_HMAC_SHA1_80", abi::SrtpSuite::AesCm128HmacSha1_80, 30},
    {"AES_CM_128_HMAC_SHA1_32", abi::SrtpSuite::AesCm128HmacSha1_32, 30},
    {"AEAD_AES_128_GCM", abi::SrtpSuite::AeadAes128Gcm, 28},
    {"AEAD_AES_256_GCM", abi::SrtpSuite::AeadAes256Gcm, 44},
}};

}  // namespace

std::optional<abi::SrtpSuite> suiteFromName(std::string_view name) {
  for (const SuiteName& s : kSuites) {
    if (s.name == name) {
      return s.suite;
    }
  }
  return std::nullopt;
}

std::string_view suiteName(abi::SrtpSuite suite) {
  for (const SuiteName& s : kSuites) {
    if (s.suite == suite) {
      return s.name;
    }
  }
  return {};
}

size_t keySaltBytes(abi::SrtpSuite suite) {
  for (const SuiteName& s : kSuites) {
    if (s.suite == suite) {
      return s.keySalt;
    }
  }
  return 0;
}

Result<abi::SrtpParams> generate(abi::SrtpSuite suite) {
  size_t n = keySaltBytes(suite);
  if (n == 0) {
    return Error(ErrorCode::InvalidArgument, "no key for SRTP suite None");
  }
  abi::SrtpParams p{};
  p.suite = suite;
  p.key_len = static_cast<uint8_t>(n);
  if (RAND_bytes(p.key, static_cast<int>(n)) != 1) {
    return Error(ErrorCode::Internal, "RAND_bytes failed: no SDES key");
  }
  return p;
}

std::string encodeInline(const abi::SrtpParams& params) {
  return platform::base64Encode(params.key, params.key_len);
}

Result<abi::SrtpParams> decodeInline(std::string_view name, std::string_view base64) {
  std::optional<abi::SrtpSuite> suite = suiteFromName(name);
  if (!suite) {
    return Error(ErrorCode::NotAcceptable,
                 "SRTP crypto-suite " + std::string(name) + " is not supported");
  }
  abi::SrtpParams p{};
  p.suite = *suite;
  // RFC 4568 inline keys are padded standard base64: exactly one spelling per key.
  auto bytes = base64.size() % 4 == 0 ? platform::base64Decode(base64) : std::nullopt;
  if (!bytes || bytes->size() > sizeof p.key) {
    if (bytes) {
      OPENSSL_cleanse(bytes->data(), bytes->size());
    }
    return Error(ErrorCode::Malformed, "a=crypto key is not valid base64");
  }
  long n = static_cast<long>(bytes->size());
  std::copy(bytes->begin(), bytes->end(), p.key);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  if (static_cast<size_t>(n) != keySaltBytes(*suite)) {
    wipe(p);
    return Error(ErrorCode::Malformed, "a=crypto key||salt is " + std::to_string(n) + " bytes, " +
                                           std::string(name) + " needs " +
                                           std::to_string(keySaltBytes(*suite)));
  }
  p.key_len = static_cast<uint8_t>(n);
  return p;
}

Result<abi::SrtpParams> fromCrypto(const sdp::Crypto& crypto) {
  if (!suiteFromName(crypto.suite)) {
    return Error(ErrorCode::NotAcceptable,
                 "SRTP crypto-suite " + std::string(crypto.suite) + " is not supported");
  }
  if (crypto.key_count != 1) {
    return Error(ErrorCode::NotAcceptable, "a=crypto with several keys (MKI) is not supported");
  }
  if (crypto.keys[0].has_mki) {
    return Error(ErrorCode::NotAcceptable, "a=crypto with an MKI is not supported");
  }
  if (!crypto.session_params.empty()) {
    return Error(ErrorCode::NotAcceptable, "a=crypto session parameters (" +
                                               std::string(crypto.session_params) +
                                               ") are not supported");
  }
  // A lifetime is accepted but not enforced: the dataplane never re-keys on its own; a peer
  // whose key reaches its lifetime re-keys with a re-INVITE carrying a new a=crypto.
  return decodeInline(crypto.suite, crypto.keys[0].key_salt);
}

Result<abi::SrtpParams> fromCryptoLine(std::string_view value) {
  sdp::Crypto c;
  if (sdp::Verdict v = sdp::parseCrypto(value, c); !v.ok()) {
    return Error(ErrorCode::Malformed, std::string("bad a=crypto: ") + v.why());
  }
  return fromCrypto(c);
}

void wipe(abi::SrtpParams& params) {
  OPENSSL_cleanse(params.key, sizeof params.key);
  params.key_len = 0;
}

void wipe(std::string& secret) {
  if (!secret.empty()) {
    OPENSSL_cleanse(secret.data(), secret.size());
  }
  secret.clear();
}

}  // namespace rampart::cp::sdes
