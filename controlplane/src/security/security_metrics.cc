#include "security/security_metrics.h"

namespace rampart::cp::security {
namespace {

const char* methodLabel(Method m) {
  switch (m) {
    case Method::Invite: return "INVITE";
    case Method::Register: return "REGISTER";
    case Method::Ack: return "ACK";
    case Method::Other: break;
  }
  return "other";
}

}  // namespace

SecurityMetrics::SecurityMetrics(prometheus::Registry& registry,
                                 const std::vector<std::string>& realms)
    : realms_(realms) {
  if (realms_.empty()) {
    realms_.push_back("");
  }
  refused_family_ = &prometheus::BuildCounter()
                         .Name("rampart_cp_security_refused_total")
                         .Help(
                             "Requests refused by access lists, scanner signatures and rate "
                             "limits, by realm, method, reason and action (reply or drop)")
                         .Register(registry);
  refused_.assign(realms_.size() * kMethods * kReasons * 2, nullptr);
  bans_family_ = &prometheus::BuildCounter()
                      .Name("rampart_cp_bans_total")
                      .Help("Source bans added, expired and removed, by reason")
                      .Register(registry);
  connections_family_ = &prometheus::BuildCounter()
                             .Name("rampart_cp_security_connections_refused_total")
                             .Help(
                                 "Inbound stream connections refused before any TLS work, by "
                                 "realm, transport and reason")
                             .Register(registry);
  bans_active_ = &prometheus::BuildGauge()
                      .Name("rampart_cp_bans_active")
                      .Help("Source addresses banned now")
                      .Register(registry)
                      .Add({});
  tracked_ = &prometheus::BuildGauge()
                  .Name("rampart_cp_security_tracked")
                  .Help("Per-source and per-AOR limiter entries held (bounded)")
                  .Register(registry)
                  .Add({});
  evictions_ = &prometheus::BuildCounter()
                    .Name("rampart_cp_security_evictions_total")
                    .Help("Limiter entries forgotten to stay within max_tracked_sources")
                    .Register(registry)
                    .Add({});
}

void SecurityMetrics::refused(uint32_t realm, Method method, Reason reason, Action action) {
  std::size_t r = realm < realms_.size() ? realm : 0;
  std::size_t m = static_cast<std::size_t>(method);
  std::size_t why = static_cast<std::size_t>(reason);
  std::size_t a = action == Action::Reply ? 0 : 1;
  std::size_t i = ((r * kMethods + m) * kReasons + why) * 2 + a;
  if (why >= kReasons || i >= refused_.size()) {
    return;
  }
  if (refused_[i] == nullptr) {
    refused_[i] = &refused_family_->Add({{"realm", realms_[r]},
                                         {"method", methodLabel(method)},
                                         {"reason", reasonName(reason)},
                                         {"action", a == 0 ? "reply" : "drop"}});
  }
  refused_[i]->Increment();
}

// Rare enough (storms are refused per connection, not per message) for a label lookup each.
void SecurityMetrics::refusedConnection(uint32_t realm, platform::Transport transport,
                                        Reason reason) {
  connections_family_
      ->Add({{"realm", realms_[realm < realms_.size() ? realm : 0]},
             {"transport", platform::transportName(transport)},
             {"reason", reasonName(reason)}})
      .Increment();
}

void SecurityMetrics::banEvent(const char* event, const std::string& reason) {
  bans_family_->Add({{"event", event}, {"reason", reason}}).Increment();
}

void SecurityMetrics::setTracked(std::size_t n, uint64_t evictions) {
  tracked_->Set(static_cast<double>(n));
  if (evictions > evictions_seen_) {
    evictions_->Increment(static_cast<double>(evictions - evictions_seen_));
    evictions_seen_ = evictions;
  }
}

}  // namespace rampart::cp::security
