#pragma once
// Call admission control: at most realms[i].security.max_calls concurrent calls touching a
// realm (as caller's or callee's side), at most routes[j].max_calls concurrent calls through a
// route (the trunk it leads to) and routes[j].calls_per_second new ones. A refused call is
// answered 503 with Retry-After by the call manager and counted here:
//   rampart_cp_calls_refused_total{scope,name,reason}   scope: realm | route;
//                                                       reason: max_calls | call_rate
//   rampart_cp_route_calls_active{route}
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <rampart/platform/config.h>

#include "security/token_bucket.h"

namespace rampart::cp {

// What an admitted call holds; given back once with release().
struct AdmissionTicket {
  uint32_t from_realm = 0;
  uint32_t to_realm = 0;
  int route = -1;  // index in Config::routes; -1 for calls to registered users
  bool held = false;
};

class CallAdmission {
 public:
  CallAdmission(const platform::Config& config, prometheus::Registry& registry);

  /// Takes a place for a new call from `from_realm` to `to_realm` through route `route_name`
  /// ("" for none) at steady time `now_us`. @return nullopt when a limit refuses the call
  /// (counted), else the ticket to release when the call ends.
  std::optional<AdmissionTicket> admit(uint32_t from_realm, uint32_t to_realm,
                                       const std::string& route_name, int64_t now_us);
  void release(AdmissionTicket& ticket);

  uint32_t realmCalls(uint32_t realm) const { return realm_calls_.at(realm); }
  uint32_t routeCalls(std::size_t route) const { return route_calls_.at(route); }

 private:
  void refuse(const char* scope, const std::string& name, const char* reason);

  const platform::Config& config_;
  std::vector<uint32_t> realm_calls_;
  std::vector<uint32_t> route_calls_;
  std::vector<security::TokenBucket> route_rate_;
  std::vector<prometheus::Gauge*> route_gauges_;
  prometheus::Family<prometheus::Counter>* refused_;
};

}  // namespace rampart::cp
