#include <rampart/mgmt/api_auth.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <strings.h>
#include <cstring>

namespace rampart::mgmt {
namespace {

void sha256(const std::string& data, unsigned char out[32]) {
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

}  // namespace

TokenTable::TokenTable(const std::vector<platform::ApiToken>& tokens) {
  for (const platform::ApiToken& t : tokens) {
    Entry e{};
    e.who = Principal{t.name, roleFrom(t.role)};
    if (t.sha256.size() != 64) {
      continue;  // the loader rejects these; never match an empty digest
    }
    for (std::size_t i = 0; i < 32; ++i) {
      int hi = hexValue(t.sha256[2 * i]);
      int lo = hexValue(t.sha256[2 * i + 1]);
      e.digest[i] = static_cast<unsigned char>((hi < 0 ? 0 : hi) << 4 | (lo < 0 ? 0 : lo));
    }
    entries_.push_back(e);
  }
}

std::optional<Principal> TokenTable::find(const std::string& token) const {
  if (token.empty()) {
    return std::nullopt;
  }
  unsigned char d[32];
  sha256(token, d);
  std::optional<Principal> who;
  for (const Entry& e : entries_) {  // no early exit: same work whichever entry matches
    if (CRYPTO_memcmp(d, e.digest, sizeof d) == 0) {
      who = e.who;
    }
  }
  return who;
}

std::string sha256Hex(const std::string& data) {
  unsigned char d[32];
  sha256(data, d);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string bearerToken(const std::string& authorization) {
  constexpr std::size_t kScheme = 7;  // "Bearer "
  if (authorization.size() <= kScheme ||
      strncasecmp(authorization.c_str(), "bearer ", kScheme) != 0) {
    return "";
  }
  std::size_t start = authorization.find_first_not_of(' ', kScheme);
  std::size_t end = authorization.find_last_not_of(' ');
  return start == std::string::npos ? "" : authorization.substr(start, end - start + 1);
}

}  // namespace rampart::mgmt
