#include "b2bua/admission.h"

namespace rampart::cp {

CallAdmission::CallAdmission(const platform::Config& config, prometheus::Registry& registry)
    : config_(config),
      realm_calls_(config.realms.size(), 0),
      route_calls_(config.routes.size(), 0),
      route_rate_(config.routes.size()) {
  refused_ = &prometheus::BuildCounter()
                  .Name("rampart_cp_calls_refused_total")
                  .Help("New calls refused by admission control (503), by scope, name, reason")
                  .Register(registry);
  auto& gauges = prometheus::BuildGauge()
                     .Name("rampart_cp_route_calls_active")
                     .Help("Calls in progress through each route")
                     .Register(registry);
  for (const platform::Route& r : config.routes) {
    route_gauges_.push_back(&gauges.Add({{"route", r.name}}));
  }
}

void CallAdmission::refuse(const char* scope, const std::string& name, const char* reason) {
  refused_->Add({{"scope", scope}, {"name", name}, {"reason", reason}}).Increment();
}

std::optional<AdmissionTicket> CallAdmission::admit(uint32_t from_realm, uint32_t to_realm,
                                                    const std::string& route_name, int64_t now_us) {
  AdmissionTicket t{from_realm, to_realm, -1, false};
  for (std::size_t i = 0; i < config_.routes.size() && !route_name.empty(); ++i) {
    if (config_.routes[i].name == route_name) {
      t.route = static_cast<int>(i);
    }
  }
  for (uint32_t realm : {from_realm, to_realm}) {
    uint32_t max = realm < realm_calls_.size() ? config_.realms[realm].security.max_calls : 0;
    if (max != 0 && realm_calls_[realm] >= max) {
      refuse("realm", config_.realms[realm].name, "max_calls");
      return std::nullopt;
    }
  }
  if (t.route >= 0) {
    auto r = static_cast<std::size_t>(t.route);
    const platform::Route& route = config_.routes[r];
    if (route.max_calls != 0 && route_calls_[r] >= route.max_calls) {
      refuse("route", route.name, "max_calls");
      return std::nullopt;
    }
    if (route.calls_per_second && !route_rate_[r].take(*route.calls_per_second, now_us)) {
      refuse("route", route.name, "call_rate");
      return std::nullopt;
    }
    route_gauges_[r]->Set(static_cast<double>(++route_calls_[r]));
  }
  ++realm_calls_[from_realm];
  if (to_realm != from_realm) {
    ++realm_calls_[to_realm];
  }
  t.held = true;
  return t;
}

void CallAdmission::release(AdmissionTicket& t) {
  if (!t.held) {
    return;
  }
  t.held = false;
  --realm_calls_[t.from_realm];
  if (t.to_realm != t.from_realm) {
    --realm_calls_[t.to_realm];
  }
  if (t.route >= 0) {
    auto r = static_cast<std::size_t>(t.route);
    route_gauges_[r]->Set(static_cast<double>(--route_calls_[r]));
  }
}

}  // namespace rampart::cp
