#include "stats/metrics_collector.h"

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include <rampart/dp/stats_layout.h>

#include "ice/ice_state.h"
#include "stats/drop_reasons.h"

namespace rampart::dp {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

class DataplaneCollector : public prometheus::Collectable {
 public:
  DataplaneCollector(const platform::ShmRegion* region, const IfaceSet* ifaces)
      : region_(region), ifaces_(ifaces) {}

  std::vector<MetricFamily> Collect() const override {
    MetricFamily rx{"rampart_dp_rx_packets_total", "Packets received", MetricType::Counter, {}};
    MetricFamily rxb{"rampart_dp_rx_bytes_total", "Bytes received", MetricType::Counter, {}};
    MetricFamily tx{"rampart_dp_tx_packets_total", "Packets sent", MetricType::Counter, {}};
    MetricFamily txb{"rampart_dp_tx_bytes_total", "Bytes sent", MetricType::Counter, {}};
    MetricFamily punt{"rampart_dp_punted_total",
                      "STUN/DTLS packets copied to the control plane",
                      MetricType::Counter,
                      {}};
    MetricFamily inj{
        "rampart_dp_injected_total", "Packets sent for the control plane", MetricType::Counter, {}};
    MetricFamily arp{"rampart_dp_arp_nd_replies_total",
                     "ARP replies and neighbour adverts sent",
                     MetricType::Counter,
                     {}};
    MetricFamily drops{
        "rampart_dp_drops_total", "Packets dropped, by reason", MetricType::Counter, {}};
    MetricFamily flows{"rampart_dp_flows", "Flows programmed", MetricType::Gauge, {}};
    MetricFamily cmds{
        "rampart_dp_commands_total", "Control-plane commands applied", MetricType::Counter, {}};
    MetricFamily lost{"rampart_dp_events_lost_total",
                      "Events not posted (event ring full)",
                      MetricType::Counter,
                      {}};
    MetricFamily pend{"rampart_dp_neighbour_pending",
                      "Packets waiting for next-hop resolution",
                      MetricType::Gauge,
                      {}};
    MetricFamily expired{"rampart_dp_neighbour_expired_total",
                         "Next hops forgotten after unanswered re-confirmation probes",
                         MetricType::Counter,
                         {}};
    MetricFamily handoff{"rampart_dp_handoff_packets_total",
                         "Packets received on one worker's queue for another worker's flow",
                         MetricType::Counter,
                         {}};
    MetricFamily refused{"rampart_dp_commands_refused_total",
                         "Control-plane commands answered with an error status",
                         MetricType::Counter,
                         {}};
    MetricFamily neigh_full{"rampart_dp_neighbour_table_full_total",
                            "Next hops not created: the neighbour table was full",
                            MetricType::Counter,
                            {}};
    MetricFamily inj_refused{"rampart_dp_inject_refused_total",
                             "Inject slots refused (bad port, length, family or address)",
                             MetricType::Counter,
                             {}};
    MetricFamily alloc{"rampart_dp_alloc_failed_total",
                       "ARP/ND solicitations not sent: mbuf pool empty",
                       MetricType::Counter,
                       {}};
    MetricFamily ignored{"rampart_dp_arp_nd_ignored_total",
                         "ARP/ND packets for other hosts (read, not answered)",
                         MetricType::Counter,
                         {}};
    MetricFamily locked{"rampart_dp_region_memory_locked",
                        "1 when the shared-memory region (SRTP keys) is locked in RAM",
                        MetricType::Gauge,
                        {}};
    locked.metric.push_back(gauge({}, region_->memoryLocked() ? 1 : 0));
    MetricFamily shared_lost{"rampart_dp_neighbour_share_lost_total",
                             "Neighbour updates another worker's ring had no room for",
                             MetricType::Counter,
                             {}};
    MetricFamily ice{"rampart_dp_ice_checks_total",
                     "STUN messages on media ports by outcome (ICE-lite)",
                     MetricType::Counter,
                     {}};
    MetricFamily ice_sel{"rampart_dp_ice_selected_total",
                         "Nominated ICE checks that moved a flow's remote",
                         MetricType::Counter,
                         {}};
    MetricFamily consent{"rampart_dp_ice_consent_expired_total",
                         "ICE consent expiries reported (RFC 7675)",
                         MetricType::Counter,
                         {}};
    for (uint32_t w = 0; w < region_->workers(); ++w) {
      const auto* ws = static_cast<const WorkerStats*>(region_->stats(w));
      if (readRelaxed(ws->magic) != kStatsMagic || readRelaxed(ws->version) != kStatsVersion) {
        continue;
      }
      std::string wl = std::to_string(w);
      flows.metric.push_back(gauge({{"worker", wl}}, readRelaxed(ws->flows_live)));
      cmds.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->commands)));
      lost.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->events_lost)));
      pend.metric.push_back(gauge({{"worker", wl}}, readRelaxed(ws->neigh_pending)));
      expired.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->neigh_expired)));
      handoff.metric.push_back(
          counter({{"worker", wl}, {"direction", "out"}}, readRelaxed(ws->handoff_out)));
      handoff.metric.push_back(
          counter({{"worker", wl}, {"direction", "in"}}, readRelaxed(ws->handoff_in)));
      shared_lost.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->neigh_share_lost)));
      refused.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->commands_refused)));
      neigh_full.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->neigh_table_full)));
      inj_refused.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->inject_refused)));
      alloc.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->alloc_failed)));
      for (uint32_t o = 0; o < kIceOutcomeCount; ++o) {
        ice.metric.push_back(
            counter({{"worker", wl}, {"outcome", iceOutcomeLabel(static_cast<IceOutcome>(o))}},
                    readRelaxed(ws->ice_checks[o])));
      }
      ice_sel.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->ice_selected)));
      consent.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->ice_consent_expired)));
      for (uint32_t p = 0; p < ifaces_->count; ++p) {
        const PortCounters& pc = ws->ports[p];
        // A realm may have several ports: the port index keeps the series distinct.
        std::vector<ClientMetric::Label> l{
            {"worker", wl}, {"realm", ifaces_->ifaces[p].realm}, {"port", std::to_string(p)}};
        rx.metric.push_back(counter(l, readRelaxed(pc.rx_packets)));
        rxb.metric.push_back(counter(l, readRelaxed(pc.rx_bytes)));
        tx.metric.push_back(counter(l, readRelaxed(pc.tx_packets)));
        txb.metric.push_back(counter(l, readRelaxed(pc.tx_bytes)));
        punt.metric.push_back(counter(l, readRelaxed(pc.punted)));
        inj.metric.push_back(counter(l, readRelaxed(pc.injected)));
        arp.metric.push_back(counter(l, readRelaxed(pc.arp_nd_replies)));
        ignored.metric.push_back(counter(l, readRelaxed(pc.arp_nd_ignored)));
        for (uint32_t r = 0; r < kDropReasonCount; ++r) {
          auto dl = l;
          dl.push_back({"reason", dropReasonLabel(static_cast<DropReason>(r))});
          drops.metric.push_back(counter(dl, readRelaxed(pc.drops[r])));
        }
      }
    }
    std::vector<MetricFamily> out{rx,          rxb,     tx,      txb,     punt,        inj,
                                  arp,         ignored, drops,   flows,   cmds,        refused,
                                  lost,        pend,    expired, handoff, shared_lost, neigh_full,
                                  inj_refused, alloc,   locked,  ice,     ice_sel,     consent};
    appendXcode(out);
    return out;
  }

  // Transcoding: packets handed to rampart-transcoder and sent back, slots refused.
  void appendXcode(std::vector<MetricFamily>& out) const {
    MetricFamily pk{"rampart_dp_xcode_packets_total",
                    "RTP packets of transcoded flows, to rampart-transcoder and back",
                    MetricType::Counter,
                    {}};
    MetricFamily refused{"rampart_dp_xcode_refused_total",
                         "Slots from rampart-transcoder refused (kind, length, RTP, flow)",
                         MetricType::Counter,
                         {}};
    for (uint32_t w = 0; w < region_->workers(); ++w) {
      const auto* ws = static_cast<const WorkerStats*>(region_->stats(w));
      if (readRelaxed(ws->magic) != kStatsMagic || readRelaxed(ws->version) != kStatsVersion) {
        continue;
      }
      std::string wl = std::to_string(w);
      pk.metric.push_back(
          counter({{"worker", wl}, {"direction", "to_transcoder"}}, readRelaxed(ws->xcode_to)));
      pk.metric.push_back(
          counter({{"worker", wl}, {"direction", "from_transcoder"}}, readRelaxed(ws->xcode_from)));
      refused.metric.push_back(counter({{"worker", wl}}, readRelaxed(ws->xcode_refused)));
    }
    out.push_back(std::move(pk));
    out.push_back(std::move(refused));
  }

 private:
  static ClientMetric counter(std::vector<ClientMetric::Label> l, uint64_t v) {
    ClientMetric m;
    m.label = std::move(l);
    m.counter.value = static_cast<double>(v);
    return m;
  }
  static ClientMetric gauge(std::vector<ClientMetric::Label> l, uint64_t v) {
    ClientMetric m;
    m.label = std::move(l);
    m.gauge.value = static_cast<double>(v);
    return m;
  }

  const platform::ShmRegion* region_;
  const IfaceSet* ifaces_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> makeDataplaneCollector(const platform::ShmRegion* region,
                                                                const IfaceSet* ifaces) {
  return std::make_shared<DataplaneCollector>(region, ifaces);
}

}  // namespace rampart::dp
