#pragma once
// Routes from the configuration: a request arriving on realm X whose Request-URI user matches a
// route's pattern goes to that route's targets on realm Y, tried in order (failover on 408,
// 503, transport error or timeout).
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <rampart/platform/config.h>

#include "sip/message.h"
#include "transport/transport_layer.h"

namespace rampart::cp {

struct Target {
  sip::Uri uri;     // as configured
  Destination dst;  // resolved address, transport and realm
};

struct RouteMatch {
  std::string route;  // route name (logs, metrics)
  uint32_t to_realm = 0;
  std::vector<Target> targets;
};

class Router {
 public:
  /// Compiles every route. Targets must be IP literals today (host names: see docs).
  explicit Router(const platform::Config& config);

  /// The first route from `from_realm` whose pattern matches `user`. nullopt: no route (404).
  std::optional<RouteMatch> route(uint32_t from_realm, const std::string& user) const;

  /// Realm index by name.
  std::optional<uint32_t> realmIndex(const std::string& name) const;

  struct Compiled {
    std::string name;
    uint32_t from = 0;
    uint32_t to = 0;
    bool any_user = true;
    std::regex pattern;
    std::vector<Target> targets;
  };
  const std::vector<Compiled>& routes() const { return routes_; }

 private:
  const platform::Config& config_;
  std::vector<Compiled> routes_;
};

/// Rampart's Contact on a listener: `sip:[user@]address:port;transport=t`.
sip::NameAddr contactAt(const platform::SignallingListener& listener, const std::string& user);

/// Resolves a SIP URI whose host is an IP literal to a Destination on `realm` (transport from
/// ;transport=, default UDP; port default 5060, 5061 for TLS). nullopt for host names.
std::optional<Destination> destinationFor(const sip::Uri& uri, uint32_t realm);

}  // namespace rampart::cp
