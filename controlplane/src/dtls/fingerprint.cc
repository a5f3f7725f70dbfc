#include "dtls/fingerprint.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace rampart::cp::dtls {

namespace {

struct HashInfo {
  HashAlg alg;
  std::string_view name;
  uint8_t len;
  int strength;  // higher is stronger (RFC 8122: compare with the strongest offered)
};
constexpr std::array<HashInfo, 5> kHashes{{
    {HashAlg::Sha1, "sha-1", 20, 1},
    {HashAlg::Sha224, "sha-224", 28, 2},
    {HashAlg::Sha256, "sha-256", 32, 3},
    {HashAlg::Sha384, "sha-384", 48, 4},
    {HashAlg::Sha512, "sha-512", 64, 5},
}};

const HashInfo& info(HashAlg alg) {
  for (const HashInfo& h : kHashes) {
    if (h.alg == alg) {
      return h;
    }
  }
  return kHashes[2];
}

const EVP_MD* evpFor(HashAlg alg) {
  switch (alg) {
    case HashAlg::Sha1: return EVP_sha1();
    case HashAlg::Sha224: return EVP_sha224();
    case HashAlg::Sha256: return EVP_sha256();
    case HashAlg::Sha384: return EVP_sha384();
    case HashAlg::Sha512: return EVP_sha512();
  }
  return EVP_sha256();
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string_view hashName(HashAlg alg) { return info(alg).name; }

Result<Fingerprint> parseFingerprint(std::string_view sdp_value) {
  std::string_view v = trim(sdp_value);
  size_t space = v.find_first_of(" \t");
  if (space == std::string_view::npos) {
    return Error(ErrorCode::Malformed, "a=fingerprint has no hash function and value");
  }
  std::string_view name = v.substr(0, space);
  std::string_view hex = trim(v.substr(space + 1));
  const HashInfo* h = nullptr;
  for (const HashInfo& cand : kHashes) {
    if (equalsIgnoreCase(cand.name, name)) {
      h = &cand;
    }
  }
  if (h == nullptr) {
    return Error(
        ErrorCode::NotAcceptable,
        "a=fingerprint hash function " + std::string(name.substr(0, 16)) + " is not supported");
  }
  // Exactly "XX:XX:...:XX" with h->len pairs.
  if (hex.size() != size_t{h->len} * 3 - 1) {
    return Error(ErrorCode::Malformed, "a=fingerprint " + std::string(h->name) + " needs " +
                                           std::to_string(h->len) + " colon-separated bytes");
  }
  Fingerprint fp;
  fp.alg = h->alg;
  fp.len = h->len;
  for (size_t i = 0; i < h->len; ++i) {
    int hi = hexValue(hex[i * 3]);
    int lo = hexValue(hex[i * 3 + 1]);
    bool sep_ok = i + 1 == h->len || hex[i * 3 + 2] == ':';
    if (hi < 0 || lo < 0 || !sep_ok) {
      return Error(ErrorCode::Malformed, "a=fingerprint value is not colon-separated hex");
    }
    fp.digest[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return fp;
}

std::string formatFingerprint(const Fingerprint& fp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(hashName(fp.alg));
  out += ' ';
  for (size_t i = 0; i < fp.len; ++i) {
    if (i != 0) {
      out += ':';
    }
    out += kHex[fp.digest[i] >> 4];
    out += kHex[fp.digest[i] & 0xf];
  }
  return out;
}

bool certificateFingerprint(X509* cert, HashAlg alg, Fingerprint& out) {
  unsigned int n = 0;
  out = Fingerprint{};
  out.alg = alg;
  if (cert == nullptr || X509_digest(cert, evpFor(alg), out.digest.data(), &n) != 1 ||
      n != info(alg).len) {
    return false;
  }
  out.len = static_cast<uint8_t>(n);
  return true;
}

bool matchesAny(X509* cert, std::span<const Fingerprint> expected) {
  int strongest = 0;
  for (const Fingerprint& fp : expected) {
    strongest = std::max(strongest, info(fp.alg).strength);
  }
  for (const Fingerprint& fp : expected) {
    if (info(fp.alg).strength != strongest) {
      continue;
    }
    Fingerprint actual;
    if (certificateFingerprint(cert, fp.alg, actual) && actual == fp) {
      return true;
    }
  }
  return false;
}

}  // namespace rampart::cp::dtls
