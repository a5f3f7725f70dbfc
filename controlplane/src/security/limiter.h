#pragma once
// The signalling policy: access lists, scanner signatures and token buckets, decided from a
// RequestPeek before the full parse. Pure logic over a caller-given clock (no I/O, no timers),
// so the guard owns the effects and tests drive time directly.
//
// Order of checks: deny lists, allow lists, scanner User-Agents (all silent drops), then the
// per-source buckets (every request, INVITE, REGISTER), the per-AOR bucket, the realm's and the
// global INVITE bucket. A request refused by a bucket is answered 503 + Retry-After while its
// source stays under `replies_per_source` refusals this second, and dropped silently beyond
// that; refusals that are the source's own fault count toward a ban (BanPolicy).
#include <cstdint>
#include <string>
#include <vector>

#include <rampart/platform/config.h>

#include "security/address_key.h"
#include "security/bounded_table.h"
#include "security/request_peek.h"
#include "security/token_bucket.h"

namespace rampart::cp::security {

enum class Reason : uint8_t {
  Banned,
  Denied,           // in a deny list
  NotAllowed,       // an allow list exists and does not hold the source
  Geo,              // the geo database places the source in a country refused
  Scanner,          // User-Agent of a known scanner
  SourceRate,       // requests per source
  ConnectionRate,   // new connections per source
  ConnectionLimit,  // concurrent connections per source
  ConnectionTotal,  // concurrent connections in total
  InviteRate,
  RegisterRate,
  AorRate,
  RealmRate,
  GlobalRate,
  Count
};
const char* reasonName(Reason r);

enum class Action : uint8_t { Pass, Reply, Drop };

struct Verdict {
  Action action = Action::Pass;
  Reason reason = Reason::Count;
  uint32_t retry_after_s = 0;  // for Reply
  bool ban = false;            // sustained excess: the caller bans the source now
};

class Limiter {
 public:
  explicit Limiter(const platform::Config& config);

  /// Takes the access lists and per-realm rates of a reloaded config. Sources' and AORs' token
  /// buckets keep their state (they read their rates from the config in force at each check);
  /// a realm's overall bucket starts full again.
  void reconfigure(const platform::Config& config);

  Verdict check(const AddressKey& source, uint32_t realm, const RequestPeek& peek, int64_t now_us);

  /// A rejected credential or a bad token from `source`. @return true when that makes
  /// FailureLimit::max within its window (the caller bans; the count restarts).
  bool authFailure(const AddressKey& source, int64_t now_us);
  /// A new connection from `source` on `realm`: access lists, then the per-source rate of new
  /// connections. @return Reason::Count when admitted, else why not.
  Reason admitConnection(const AddressKey& source, uint32_t realm, int64_t now_us);
  bool jwtFailure(const AddressKey& source, int64_t now_us);

  /// Sources and AORs held (bounded by security.max_tracked_sources), and evictions so far.
  std::size_t tracked() const { return sources_.size() + aors_.size(); }
  uint64_t evictions() const { return sources_.evictions() + aors_.evictions(); }

 private:
  struct Window {
    int64_t start_us = 0;
    uint32_t count = 0;
    // Counts one event; true when `max` is reached within `window_s` (then restarts).
    bool hit(int64_t now_us, uint32_t window_s, uint32_t max);
  };
  struct SourceState {
    TokenBucket requests;
    TokenBucket invites;
    TokenBucket registers;
    TokenBucket connections;
    Window rejections;
    Window auth;
    Window jwt;
    int64_t reply_second = 0;
    uint32_t replies = 0;
  };
  struct RealmPolicy {
    CidrSet allow;
    CidrSet deny;
    platform::RateLimit requests_per_source;
    platform::RateLimit invite_per_source;
    platform::RateLimit register_per_source;
    platform::RateLimit requests;  // per_second 0: none
    TokenBucket bucket;
  };

  bool accessRefused(const AddressKey& source, const RealmPolicy& realm, Verdict* v) const;
  bool isScanner(std::string_view user_agent) const;
  Reason bucketRefusal(SourceState& s, RealmPolicy& realm, const RequestPeek& peek, int64_t now);
  Verdict refuse(SourceState& s, Reason reason, const RequestPeek& peek, int64_t now_us);

  const platform::SecurityPolicy& policy_;
  CidrSet allow_;
  CidrSet deny_;
  std::vector<RealmPolicy> realms_;
  TokenBucket global_invites_;
  BoundedTable<AddressKey, SourceState, AddressKeyHash> sources_;
  BoundedTable<std::string, TokenBucket> aors_;
};

}  // namespace rampart::cp::security
