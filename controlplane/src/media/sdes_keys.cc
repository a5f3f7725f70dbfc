#include "media/sdes_keys.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>

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

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

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

std::string base64Encode(const uint8_t* data, size_t len) {
  std::string out;
  out.reserve((len + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= len; i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (len - i == 1) {
    uint32_t v = uint32_t{data[i]} << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.append("==");
  } else if (len - i == 2) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

long base64Decode(std::string_view in, uint8_t* out, size_t cap) {
  if (in.empty() || in.size() % 4 != 0) {
    return -1;
  }
  size_t pad = 0;
  if (in.back() == '=') {
    pad = in[in.size() - 2] == '=' ? 2 : 1;
  }
  size_t bytes = in.size() / 4 * 3 - pad;
  if (bytes > cap) {
    return -1;
  }
  size_t w = 0;
  for (size_t i = 0; i < in.size(); i += 4) {
    bool last = i + 4 == in.size();
    int s[4];
    for (size_t k = 0; k < 4; ++k) {
      bool padded = last && k >= 4 - pad;
      s[k] = padded ? (in[i + k] == '=' ? 0 : -1) : sextet(in[i + k]);
      if (s[k] < 0) {
        return -1;
      }
    }
    uint32_t v = (static_cast<uint32_t>(s[0]) << 18) | (static_cast<uint32_t>(s[1]) << 12) |
                 (static_cast<uint32_t>(s[2]) << 6) | static_cast<uint32_t>(s[3]);
    size_t take = last ? 3 - pad : 3;
    // Non-canonical encodings (bits set in the padding) are refused: one key, one spelling.
    if (last && ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))) {
      return -1;
    }
    const uint8_t b[3] = {static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
                          static_cast<uint8_t>(v)};
    for (size_t k = 0; k < take; ++k) {
      out[w++] = b[k];
    }
  }
  return static_cast<long>(w);
}

std::string encodeInline(const abi::SrtpParams& params) {
  return base64Encode(params.key, params.key_len);
}

Result<abi::SrtpParams> decodeInline(std::string_view name, std::string_view base64) {
  std::optional<abi::SrtpSuite> suite = suiteFromName(name);
  if (!suite) {
    return Error(ErrorCode::NotAcceptable,
                 "SRTP crypto-suite " + std::string(name) + " is not supported");
  }
  abi::SrtpParams p{};
  p.suite = *suite;
  long n = base64Decode(base64, p.key, sizeof p.key);
  if (n < 0) {
    wipe(p);
    return Error(ErrorCode::Malformed, "a=crypto key is not valid base64");
  }
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
  if (crypto.keyCount != 1) {
    return Error(ErrorCode::NotAcceptable, "a=crypto with several keys (MKI) is not supported");
  }
  if (crypto.keys[0].hasMki) {
    return Error(ErrorCode::NotAcceptable, "a=crypto with an MKI is not supported");
  }
  if (!crypto.sessionParams.empty()) {
    return Error(ErrorCode::NotAcceptable, "a=crypto session parameters (" +
                                               std::string(crypto.sessionParams) +
                                               ") are not supported");
  }
  // A lifetime is accepted but not enforced: the dataplane never re-keys on its own; a peer
  // whose key reaches its lifetime re-keys with a re-INVITE carrying a new a=crypto.
  return decodeInline(crypto.suite, crypto.keys[0].keySalt);
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
