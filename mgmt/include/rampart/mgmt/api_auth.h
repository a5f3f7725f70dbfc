#pragma once
// API token checks. The config holds each token's SHA-256 (never the token); a request's
// `Authorization: Bearer <token>` is hashed and compared in constant time with every entry, so
// timing says nothing about which hash came close.
#include <optional>
#include <string>
#include <vector>

#include <rampart/mgmt/api_router.h>
#include <rampart/platform/config.h>

namespace rampart::mgmt {

struct Principal {
  std::string name;
  Role role = Role::Viewer;
};

class TokenTable {
 public:
  TokenTable() = default;
  explicit TokenTable(const std::vector<platform::ApiToken>& tokens);

  /// The token's owner, or nullopt when no entry matches.
  std::optional<Principal> find(const std::string& token) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Principal who;
    unsigned char digest[32];
  };
  std::vector<Entry> entries_;
};

/// Lowercase hex SHA-256 of `data` (what management.api.tokens[].sha256 holds).
std::string sha256Hex(const std::string& data);

/// The token of an `Authorization` header value ("Bearer <token>", scheme case-insensitive);
/// "" when absent or another scheme.
std::string bearerToken(const std::string& authorization);

}  // namespace rampart::mgmt
