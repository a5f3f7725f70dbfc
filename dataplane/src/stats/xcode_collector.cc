#include "stats/xcode_collector.h"

#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>

#include <rampart/mgmt/metric_families.h>
#include <rampart/platform/xcode_stats.h>

namespace rampart::dp {
namespace {

using mgmt::addValue;
using mgmt::family;
using platform::XcodeStats;
using prometheus::MetricFamily;
using prometheus::MetricType;

uint64_t load(const uint64_t& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }

// One series per worker from one XcodeStats field (label worker="N").
struct Field {
  const char* name;
  const char* help;
  MetricType type;
  uint64_t XcodeStats::*field;
};
constexpr Field kFields[] = {
    {"rampart_xc_sessions", "Transcoded flow directions with codec state in rampart-transcoder",
     MetricType::Gauge, &XcodeStats::sessions_active},
    {"rampart_xc_setups_total", "Transcoding setups applied", MetricType::Counter,
     &XcodeStats::setups},
    {"rampart_xc_setup_errors_total", "Transcoding setups refused (codec, rate, ptime)",
     MetricType::Counter, &XcodeStats::setup_errors},
    {"rampart_xc_bad_packets_total",
     "Packets the transcoder could not use (not RTP, unknown payload type, refused by the decoder)",
     MetricType::Counter, &XcodeStats::bad_packets},
    {"rampart_xc_unknown_flow_total", "Packets for a flow without transcoding state",
     MetricType::Counter, &XcodeStats::unknown_flow},
    {"rampart_xc_out_full_total", "Transcoded packets lost: the return ring was full",
     MetricType::Counter, &XcodeStats::out_full},
    {"rampart_xc_plc_frames_total",
     "Lost frames concealed by the decoder (packet loss concealment)", MetricType::Counter,
     &XcodeStats::plc_frames},
    {"rampart_xc_fec_frames_total", "Lost frames recovered from Opus in-band FEC",
     MetricType::Counter, &XcodeStats::fec_frames},
    {"rampart_xc_rtcp_bad_total",
     "RTCP from a transcoded call's peer dropped: invalid (RFC 3550 A.2) or of no session",
     MetricType::Counter, &XcodeStats::rtcp_bad},
    {"rampart_xc_rtcp_rtt_samples_total",
     "Round trips measured on transcoded legs from the peers' report blocks (RFC 3550 6.4.1)",
     MetricType::Counter, &XcodeStats::rtcp_rtt_samples},
    {"rampart_xc_rtcp_bye_total",
     "RTCP BYEs Rampart sent as transcoded flows ended (RFC 3550 6.6; also in rtcp_total out)",
     MetricType::Counter, &XcodeStats::rtcp_bye},
};

class XcodeCollector : public prometheus::Collectable {
 public:
  explicit XcodeCollector(const platform::ShmRegion* xc) : xc_(xc) {}

  std::vector<MetricFamily> Collect() const override {
    if (xc_ == nullptr || !xc_->valid()) {
      return {};
    }
    std::vector<MetricFamily> out;
    for (const Field& f : kFields) {
      out.push_back(family(f.name, f.help, f.type));
    }
    auto packets = family("rampart_xc_packets_total", "RTP packets through the transcoder",
                          MetricType::Counter);
    auto dtmf =
        family("rampart_xc_dtmf_events_total",
               "DTMF events sent on a transcoded leg, by how they arrived", MetricType::Counter);
    auto cpu = family("rampart_xc_cpu_seconds_total", "CPU time of rampart-transcoder's codec work",
                      MetricType::Counter);
    auto rtcp = family("rampart_xc_rtcp_total",
                       "RTCP terminated on transcoded legs: in = the peers' reports, out = "
                       "Rampart's own",
                       MetricType::Counter);
    for (uint32_t w = 0; w < xc_->workers(); ++w) {
      if (xc_->statsSize(w) < sizeof(XcodeStats)) {
        continue;
      }
      const auto* s = static_cast<const XcodeStats*>(xc_->stats(w));
      const std::string wl = std::to_string(w);
      for (std::size_t i = 0; i < std::size(kFields); ++i) {
        addValue(out[i], {{"worker", wl}}, static_cast<double>(load(s->*kFields[i].field)));
      }
      addValue(packets, {{"worker", wl}, {"direction", "in"}},
               static_cast<double>(load(s->in_packets)));
      addValue(packets, {{"worker", wl}, {"direction", "out"}},
               static_cast<double>(load(s->out_packets)));
      addValue(dtmf, {{"worker", wl}, {"method", "rfc4733"}},
               static_cast<double>(load(s->dtmf_events)));
      addValue(dtmf, {{"worker", wl}, {"method", "inband"}},
               static_cast<double>(load(s->dtmf_inband)));
      addValue(dtmf, {{"worker", wl}, {"method", "sip_info"}},
               static_cast<double>(load(s->dtmf_sip_info)));
      addValue(cpu, {{"worker", wl}}, static_cast<double>(load(s->cpu_ns)) / 1e9);
      addValue(rtcp, {{"worker", wl}, {"direction", "in"}}, static_cast<double>(load(s->rtcp_in)));
      addValue(rtcp, {{"worker", wl}, {"direction", "out"}},
               static_cast<double>(load(s->rtcp_out)));
    }
    for (MetricFamily* f : {&packets, &dtmf, &cpu, &rtcp}) {
      out.push_back(std::move(*f));
    }
    return out;
  }

 private:
  const platform::ShmRegion* xc_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> makeXcodeCollector(const platform::ShmRegion* xc) {
  return std::make_shared<XcodeCollector>(xc);
}

}  // namespace rampart::dp
