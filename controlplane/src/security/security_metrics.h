#pragma once
// Prometheus metrics of the security layer. Labels are bounded: realm names come from the
// config, methods are folded to INVITE/REGISTER/ACK/other, reasons and actions are enums.
//   rampart_cp_security_refused_total{realm,method,reason,action}   action: reply | drop
//   rampart_cp_bans_active
//   rampart_cp_bans_total{event,reason}        event: added | expired | removed
//   rampart_cp_security_tracked               per-source and per-AOR entries held
//   rampart_cp_security_evictions_total       entries forgotten at the table cap
//   rampart_cp_security_connections_refused_total{realm,transport,reason}
#include <cstdint>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "security/limiter.h"

namespace rampart::cp::security {

class SecurityMetrics {
 public:
  SecurityMetrics(prometheus::Registry& registry, const std::vector<std::string>& realms);

  void refused(uint32_t realm, Method method, Reason reason, Action action);
  void banEvent(const char* event, const std::string& reason);
  void refusedConnection(uint32_t realm, platform::Transport transport, Reason reason);
  void setBansActive(std::size_t n) { bans_active_->Set(static_cast<double>(n)); }
  void setTracked(std::size_t n, uint64_t evictions);

 private:
  static constexpr std::size_t kMethods = 4;
  static constexpr std::size_t kReasons = static_cast<std::size_t>(Reason::Count);
  std::vector<std::string> realms_;
  prometheus::Family<prometheus::Counter>* refused_family_;
  // Handles made on first use: realm x method x reason x action (reply, drop).
  std::vector<prometheus::Counter*> refused_;
  prometheus::Family<prometheus::Counter>* bans_family_;
  prometheus::Family<prometheus::Counter>* connections_family_;
  prometheus::Gauge* bans_active_;
  prometheus::Gauge* tracked_;
  prometheus::Counter* evictions_;
  uint64_t evictions_seen_ = 0;
};

}  // namespace rampart::cp::security
