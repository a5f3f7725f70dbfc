#pragma once
// Routes from the configuration: a request arriving on realm X whose Request-URI user matches a
// route's pattern goes to that route's targets on realm Y, tried by priority, equal priorities
// in a weighted random order (RFC 2782), with failover on 408, 503, transport error or timeout.
// A target with a host name is resolved per call (RFC 3263, sip/locator.h): TargetList.
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <rampart/platform/config.h>

#include "sip/message.h"
#include "transport/transport_layer.h"
#include "transport/weighted_order.h"

namespace rampart::cp {

struct Target {
  sip::Uri uri;            // as configured
  Destination dst;         // address (IP literal targets), transport, port and realm
  bool needs_dns = false;  // a host name: dst.address is not known until resolved
  platform::TargetPolicy policy;
};

struct RouteMatch {
  std::string route;  // route name (logs, metrics)
  uint32_t to_realm = 0;
  std::vector<Target> targets;
};

class Router {
 public:
  /// Compiles every route.
  explicit Router(const platform::Config& config);
  /// Compiles the routes again from the config (which a reload changed in place).
  void rebuild();

  /// The first route from `from_realm` whose pattern matches `user`, its targets in the order
  /// to try them (priority, then a weighted draw). nullopt: no route (404).
  std::optional<RouteMatch> route(uint32_t from_realm, const std::string& user,
                                  const UniformDraw& draw = {}) const;

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

/// The targets in the order to try them: lowest priority first, a weighted random order among
/// equal priorities (RFC 2782).
std::vector<Target> orderTargets(const std::vector<Target>& targets, const UniformDraw& draw = {});

}  // namespace rampart::cp
