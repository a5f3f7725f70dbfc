#include "stats/metrics_collector.h"

#include <iterator>
#include <string>
#include <utility>
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

// A per-worker series: one WorkerStats field, labelled worker="N".
struct WorkerField {
  const char* name;
  const char* help;
  MetricType type;
  uint64_t WorkerStats::*field;
};
constexpr WorkerField kWorkerFields[] = {
    {"rampart_dp_flows", "Flows programmed", MetricType::Gauge, &WorkerStats::flows_live},
    {"rampart_dp_commands_total", "Control-plane commands applied", MetricType::Counter,
     &WorkerStats::commands},
    {"rampart_dp_commands_refused_total", "Control-plane commands answered with an error status",
     MetricType::Counter, &WorkerStats::commands_refused},
    {"rampart_dp_events_lost_total", "Events not posted (event ring full)", MetricType::Counter,
     &WorkerStats::events_lost},
    {"rampart_dp_neighbour_pending", "Packets waiting for next-hop resolution", MetricType::Gauge,
     &WorkerStats::neigh_pending},
    {"rampart_dp_neighbour_expired_total",
     "Next hops forgotten after unanswered re-confirmation probes", MetricType::Counter,
     &WorkerStats::neigh_expired},
    {"rampart_dp_neighbour_share_lost_total",
     "Neighbour updates another worker's ring had no room for", MetricType::Counter,
     &WorkerStats::neigh_share_lost},
    {"rampart_dp_neighbour_table_full_total", "Next hops not created: the neighbour table was full",
     MetricType::Counter, &WorkerStats::neigh_table_full},
    {"rampart_dp_inject_refused_total",
     "Inject slots refused (bad port, length, family or address)", MetricType::Counter,
     &WorkerStats::inject_refused},
    {"rampart_dp_alloc_failed_total", "ARP/ND solicitations not sent: mbuf pool empty",
     MetricType::Counter, &WorkerStats::alloc_failed},
    {"rampart_dp_ice_selected_total", "Nominated ICE checks that moved a flow's remote",
     MetricType::Counter, &WorkerStats::ice_selected},
    {"rampart_dp_ice_consent_expired_total", "ICE consent expiries reported (RFC 7675)",
     MetricType::Counter, &WorkerStats::ice_consent_expired},
    {"rampart_dp_xcode_refused_total",
     "Slots from rampart-transcoder refused (kind, length, RTP, flow)", MetricType::Counter,
     &WorkerStats::xcode_refused},
    {"rampart_dp_srtp_fast_path", "Flow directions whose SRTP runs on the fast path",
     MetricType::Gauge, &WorkerStats::srtp_fast},
    {"rampart_dp_srtp_libsrtp", "Flow directions whose SRTP runs on libsrtp2 (fallback)",
     MetricType::Gauge, &WorkerStats::srtp_libsrtp},
};

// A per-port counter: one PortCounters field, labelled worker, realm and port.
struct PortField {
  const char* name;
  const char* help;
  uint64_t PortCounters::*field;
};
constexpr PortField kPortFields[] = {
    {"rampart_dp_rx_packets_total", "Packets received", &PortCounters::rx_packets},
    {"rampart_dp_rx_bytes_total", "Bytes received", &PortCounters::rx_bytes},
    {"rampart_dp_tx_packets_total", "Packets sent", &PortCounters::tx_packets},
    {"rampart_dp_tx_bytes_total", "Bytes sent", &PortCounters::tx_bytes},
    {"rampart_dp_punted_total", "STUN/DTLS packets copied to the control plane",
     &PortCounters::punted},
    {"rampart_dp_injected_total", "Packets sent for the control plane", &PortCounters::injected},
    {"rampart_dp_arp_nd_replies_total", "ARP replies and neighbour adverts sent",
     &PortCounters::arp_nd_replies},
    {"rampart_dp_arp_nd_ignored_total", "ARP/ND packets for other hosts (read, not answered)",
     &PortCounters::arp_nd_ignored},
};

using Labels = std::vector<ClientMetric::Label>;

ClientMetric sample(MetricType type, Labels l, uint64_t v) {
  ClientMetric m;
  m.label = std::move(l);
  if (type == MetricType::Gauge) {
    m.gauge.value = static_cast<double>(v);
  } else {
    m.counter.value = static_cast<double>(v);
  }
  return m;
}

// Every family of one scrape; the tables' families are parallel to the tables.
struct Families {
  std::vector<MetricFamily> worker;
  std::vector<MetricFamily> port;
  MetricFamily drops{
      "rampart_dp_drops_total", "Packets dropped, by reason", MetricType::Counter, {}};
  MetricFamily handoff{"rampart_dp_handoff_packets_total",
                       "Packets received on one worker's queue for another worker's flow",
                       MetricType::Counter,
                       {}};
  MetricFamily ice{"rampart_dp_ice_checks_total",
                   "STUN messages on media ports by outcome (ICE-lite)",
                   MetricType::Counter,
                   {}};
  MetricFamily xcode{"rampart_dp_xcode_packets_total",
                     "RTP packets of transcoded flows, to rampart-transcoder and back",
                     MetricType::Counter,
                     {}};
  MetricFamily link_up{"rampart_dp_port_link_up",
                       "1 when the media port's link is up (as its PMD reports it)",
                       MetricType::Gauge,
                       {}};
  MetricFamily link_speed{"rampart_dp_port_link_speed_mbps",
                          "Media port link speed in Mbit/s (0: unknown)",
                          MetricType::Gauge,
                          {}};
  MetricFamily locked{"rampart_dp_region_memory_locked",
                      "1 when the shared-memory region (SRTP keys) is locked in RAM",
                      MetricType::Gauge,
                      {}};

  Families() {
    for (const WorkerField& f : kWorkerFields) {
      worker.push_back({f.name, f.help, f.type, {}});
    }
    for (const PortField& f : kPortFields) {
      port.push_back({f.name, f.help, MetricType::Counter, {}});
    }
  }

  std::vector<MetricFamily> all() && {
    std::vector<MetricFamily> out = std::move(port);
    out.push_back(std::move(drops));
    for (MetricFamily& f : worker) {
      out.push_back(std::move(f));
    }
    for (MetricFamily* f : {&handoff, &ice, &xcode, &link_up, &link_speed, &locked}) {
      out.push_back(std::move(*f));
    }
    return out;
  }
};

class DataplaneCollector : public prometheus::Collectable {
 public:
  DataplaneCollector(const platform::ShmRegion* region, const IfaceSet* ifaces)
      : region_(region), ifaces_(ifaces) {}

  // One pass over the workers' statistics areas fills every family.
  std::vector<MetricFamily> Collect() const override {
    Families f;
    f.locked.metric.push_back(sample(MetricType::Gauge, {}, region_->memoryLocked() ? 1 : 0));
    for (uint32_t w = 0; w < region_->workers(); ++w) {
      const auto* ws = static_cast<const WorkerStats*>(region_->stats(w));
      if (readRelaxed(ws->magic) != kStatsMagic || readRelaxed(ws->version) != kStatsVersion) {
        continue;
      }
      const std::string wl = std::to_string(w);
      addWorker(f, wl, *ws);
      for (uint32_t p = 0; p < ifaces_->count; ++p) {
        addPort(f, wl, p, ws->ports[p]);
      }
    }
    addLinks(f);
    return std::move(f).all();
  }

 private:
  static void addWorker(Families& f, const std::string& wl, const WorkerStats& ws) {
    for (size_t i = 0; i < std::size(kWorkerFields); ++i) {
      const WorkerField& wf = kWorkerFields[i];
      f.worker[i].metric.push_back(sample(wf.type, {{"worker", wl}}, readRelaxed(ws.*wf.field)));
    }
    auto directed = [&](MetricFamily& fam, const char* direction, const uint64_t& v) {
      fam.metric.push_back(
          sample(MetricType::Counter, {{"worker", wl}, {"direction", direction}}, readRelaxed(v)));
    };
    directed(f.handoff, "out", ws.handoff_out);
    directed(f.handoff, "in", ws.handoff_in);
    directed(f.xcode, "to_transcoder", ws.xcode_to);
    directed(f.xcode, "from_transcoder", ws.xcode_from);
    for (uint32_t o = 0; o < kIceOutcomeCount; ++o) {
      f.ice.metric.push_back(
          sample(MetricType::Counter,
                 {{"worker", wl}, {"outcome", iceOutcomeLabel(static_cast<IceOutcome>(o))}},
                 readRelaxed(ws.ice_checks[o])));
    }
  }

  void addPort(Families& f, const std::string& wl, uint32_t p, const PortCounters& pc) const {
    // A realm may have several ports: the port index keeps the series distinct.
    const Labels l{
        {"worker", wl}, {"realm", ifaces_->ifaces[p].realm}, {"port", std::to_string(p)}};
    for (size_t i = 0; i < std::size(kPortFields); ++i) {
      f.port[i].metric.push_back(
          sample(MetricType::Counter, l, readRelaxed(pc.*kPortFields[i].field)));
    }
    for (uint32_t r = 0; r < kDropReasonCount; ++r) {
      Labels dl = l;
      dl.push_back({"reason", dropReasonLabel(static_cast<DropReason>(r))});
      f.drops.metric.push_back(
          sample(MetricType::Counter, std::move(dl), readRelaxed(pc.drops[r])));
    }
  }

  // Link state from the main lcore's GlobalStats; nothing before it first published.
  void addLinks(Families& f) const {
    const auto* g = static_cast<const GlobalStats*>(region_->globalStats());
    if (__atomic_load_n(&g->magic, __ATOMIC_ACQUIRE) != kGlobalStatsMagic) {
      return;
    }
    for (uint32_t p = 0; p < ifaces_->count && p < g->n_ports; ++p) {
      const Labels l{{"realm", ifaces_->ifaces[p].realm}, {"port", std::to_string(p)}};
      f.link_up.metric.push_back(sample(MetricType::Gauge, l, readRelaxed(g->ports[p].up)));
      f.link_speed.metric.push_back(
          sample(MetricType::Gauge, l, readRelaxed(g->ports[p].speed_mbps)));
    }
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
