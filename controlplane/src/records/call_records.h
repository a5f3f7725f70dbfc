#pragma once
// What is kept of every call when it ends: its CDR line (management.cdr) and its quality in
// Prometheus. Told by the call manager (CallManager::Observer) with the flows' last counters,
// before the flows are deleted.
//
// Quality per leg is that of the stream Rampart received from the leg's peer, from the
// dataplane's counters (packets, RTP sequence gaps, RFC 3550 jitter): right whether or not the
// peer sends RTCP. The MOS is an E-model estimate (rampart/mgmt/call_quality.h).
//
// Metrics (realm: config names, bounded; result: the fixed attempt results):
//   rampart_cp_call_mos{realm}            histogram of per-leg MOS of answered calls
//   rampart_cp_call_jitter_seconds{realm} histogram of per-leg jitter
//   rampart_cp_call_loss_ratio{realm}     histogram of per-leg loss
//   rampart_cp_call_records_total{realm,result}
#include <map>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <nlohmann/json.hpp>

#include <rampart/mgmt/cdr_writer.h>
#include <rampart/platform/config.h>

#include "b2bua/call_manager.h"

namespace rampart::cp {

class CallRecords : public CallManager::Observer {
 public:
  CallRecords(const platform::Config& config, prometheus::Registry& registry);
  /// Starts writing CDRs when management.cdr is configured. @return Io naming the path.
  Result<void> start();
  void onCallEnded(const Call& call, const std::vector<FlowReport>& flows) override;
  /// The CDR of `call` (also what the CDR file gets).
  nlohmann::json record(const Call& call, const std::vector<FlowReport>& flows) const;
  mgmt::CdrWriter* writer() { return writer_.get(); }

 private:
  struct RealmMetrics {
    prometheus::Histogram* mos;
    prometheus::Histogram* jitter;
    prometheus::Histogram* loss;
  };
  nlohmann::json legRecord(const Call& call, uint8_t leg, const std::vector<FlowReport>& flows,
                           bool observe) const;
  RealmMetrics& metricsFor(const std::string& realm) const;

  const platform::Config& config_;
  prometheus::Registry& registry_;
  std::unique_ptr<mgmt::CdrWriter> writer_;
  prometheus::Family<prometheus::Histogram>* mos_;
  prometheus::Family<prometheus::Histogram>* jitter_;
  prometheus::Family<prometheus::Histogram>* loss_;
  prometheus::Family<prometheus::Counter>* ended_;
  mutable std::map<std::string, RealmMetrics> realms_;
};

}  // namespace rampart::cp
