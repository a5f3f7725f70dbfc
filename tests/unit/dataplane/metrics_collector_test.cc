// The dataplane's Prometheus collector over a real shared-memory region: each family once,
// each running worker's and port's series once, workers that have not started left out.
#include "stats/metrics_collector.h"
#include "stats/xcode_collector.h"

#include <unistd.h>

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>

#include <rampart/dp/stats_layout.h>
#include <rampart/platform/xcode_stats.h>

#include "stats/drop_reasons.h"

namespace rampart::dp {
namespace {

using prometheus::MetricFamily;
using Labels = std::map<std::string, std::string>;

const MetricFamily* findFamily(const std::vector<MetricFamily>& fams, const std::string& name) {
  for (const MetricFamily& f : fams) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

// The value of the series of @p name with exactly @p labels; -1 when there is none.
double valueOf(const std::vector<MetricFamily>& fams, const std::string& name,
               const Labels& labels) {
  const MetricFamily* f = findFamily(fams, name);
  if (f == nullptr) {
    return -1;
  }
  for (const prometheus::ClientMetric& m : f->metric) {
    Labels have;
    for (const auto& l : m.label) {
      have[l.name] = l.value;
    }
    if (have == labels) {
      return f->type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
    }
  }
  return -1;
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    platform::RegionGeometry g;
    g.n_workers = 2;
    auto r = platform::ShmRegion::create("/rampart-test-collector-" + std::to_string(getpid()), g);
    ASSERT_TRUE(r) << r.error().message;
    region_ = std::move(r.value());
    // Worker 0 has published its statistics area; worker 1 has not started yet.
    ws_ = static_cast<WorkerStats*>(region_.stats(0));
    ws_->magic = kStatsMagic;
    ws_->version = kStatsVersion;
    std::memset(&ifaces_, 0, sizeof(ifaces_));
    ifaces_.count = 2;
    std::strcpy(ifaces_.ifaces[0].realm, "lan");
    std::strcpy(ifaces_.ifaces[1].realm, "wan");
  }

  platform::ShmRegion region_;
  WorkerStats* ws_ = nullptr;
  IfaceSet ifaces_;
};

TEST_F(CollectorTest, EachFamilyOnceAndOnlyStartedWorkers) {
  auto fams = makeDataplaneCollector(&region_, &ifaces_)->Collect();
  std::set<std::string> names;
  for (const MetricFamily& f : fams) {
    EXPECT_TRUE(names.insert(f.name).second) << "twice: " << f.name;
  }
  EXPECT_EQ(findFamily(fams, "rampart_dp_flows")->metric.size(), 1u);
  EXPECT_EQ(findFamily(fams, "rampart_dp_rx_packets_total")->metric.size(), 2u);  // two ports
  EXPECT_EQ(findFamily(fams, "rampart_dp_drops_total")->metric.size(), 2u * kDropReasonCount);
  EXPECT_EQ(findFamily(fams, "rampart_dp_handoff_packets_total")->metric.size(), 2u);
  EXPECT_EQ(findFamily(fams, "rampart_dp_xcode_packets_total")->metric.size(), 2u);
  ASSERT_EQ(findFamily(fams, "rampart_dp_region_memory_locked")->metric.size(), 1u);
  EXPECT_EQ(valueOf(fams, "rampart_dp_region_memory_locked", {}),
            region_.memoryLocked() ? 1.0 : 0.0);
}

TEST_F(CollectorTest, ValuesComeFromTheirFields) {
  ws_->flows_live = 5;
  ws_->commands_refused = 6;
  ws_->handoff_out = 3;
  ws_->handoff_in = 4;
  ws_->xcode_to = 11;
  ws_->xcode_from = 12;
  ws_->xcode_refused = 2;
  ws_->ports[1].rx_packets = 100;
  ws_->ports[1].arp_nd_ignored = 8;
  ws_->ports[1].drops[0] = 9;
  auto fams = makeDataplaneCollector(&region_, &ifaces_)->Collect();
  EXPECT_EQ(valueOf(fams, "rampart_dp_flows", {{"worker", "0"}}), 5);
  EXPECT_EQ(valueOf(fams, "rampart_dp_commands_refused_total", {{"worker", "0"}}), 6);
  EXPECT_EQ(
      valueOf(fams, "rampart_dp_handoff_packets_total", {{"worker", "0"}, {"direction", "out"}}),
      3);
  EXPECT_EQ(
      valueOf(fams, "rampart_dp_handoff_packets_total", {{"worker", "0"}, {"direction", "in"}}), 4);
  EXPECT_EQ(valueOf(fams, "rampart_dp_xcode_packets_total",
                    {{"worker", "0"}, {"direction", "to_transcoder"}}),
            11);
  EXPECT_EQ(valueOf(fams, "rampart_dp_xcode_packets_total",
                    {{"worker", "0"}, {"direction", "from_transcoder"}}),
            12);
  EXPECT_EQ(valueOf(fams, "rampart_dp_xcode_refused_total", {{"worker", "0"}}), 2);
  const Labels wan{{"worker", "0"}, {"realm", "wan"}, {"port", "1"}};
  EXPECT_EQ(valueOf(fams, "rampart_dp_rx_packets_total", wan), 100);
  EXPECT_EQ(valueOf(fams, "rampart_dp_arp_nd_ignored_total", wan), 8);
  EXPECT_EQ(valueOf(fams, "rampart_dp_rx_packets_total",
                    {{"worker", "0"}, {"realm", "lan"}, {"port", "0"}}),
            0);
  Labels drop = wan;
  drop["reason"] = dropReasonLabel(static_cast<DropReason>(0));
  EXPECT_EQ(valueOf(fams, "rampart_dp_drops_total", drop), 9);
}

// Link state comes from the main lcore's GlobalStats, and only once it has been published.
TEST_F(CollectorTest, LinkStateFromGlobalStats) {
  auto before = makeDataplaneCollector(&region_, &ifaces_)->Collect();
  EXPECT_TRUE(findFamily(before, "rampart_dp_port_link_up")->metric.empty());
  auto* g = static_cast<GlobalStats*>(region_.globalStats());
  g->version = kGlobalStatsVersion;
  g->n_ports = 2;
  g->ports[0] = {1, 10000, 1, 0, 0, 1};
  g->ports[1] = {0, 0, 0, 0, 3, 1};
  g->magic = kGlobalStatsMagic;
  auto fams = makeDataplaneCollector(&region_, &ifaces_)->Collect();
  EXPECT_EQ(valueOf(fams, "rampart_dp_port_link_up", {{"realm", "lan"}, {"port", "0"}}), 1);
  EXPECT_EQ(valueOf(fams, "rampart_dp_port_link_up", {{"realm", "wan"}, {"port", "1"}}), 0);
  EXPECT_EQ(valueOf(fams, "rampart_dp_port_link_speed_mbps", {{"realm", "lan"}, {"port", "0"}}),
            10000);
  EXPECT_EQ(valueOf(fams, "rampart_dp_port_link_speed_mbps", {{"realm", "wan"}, {"port", "1"}}), 0);
}

// rampart-transcoder's counters, read from the .xc region's per-worker areas (as the
// transcoder writes them): CPU seconds, concealment, DTMF by method, RTCP.
TEST(XcodeCollector, TranscoderCountersPerWorker) {
  platform::RegionGeometry g;
  g.n_workers = 2;
  auto r = platform::ShmRegion::create("/rampart-test-xcollector-" + std::to_string(getpid()), g);
  ASSERT_TRUE(r) << r.error().message;
  auto* s = static_cast<platform::XcodeStats*>(r.value().stats(1));
  s->sessions_active = 4;
  s->in_packets = 500;
  s->out_packets = 250;
  s->plc_frames = 7;
  s->fec_frames = 3;
  s->dtmf_events = 2;
  s->dtmf_inband = 5;
  s->dtmf_sip_info = 6;
  s->cpu_ns = 1500000000;
  s->rtcp_in = 11;
  s->rtcp_out = 12;
  s->rtcp_bad = 1;
  s->rtcp_rtt_samples = 9;
  auto fams = makeXcodeCollector(&r.value())->Collect();
  const Labels w1{{"worker", "1"}};
  EXPECT_EQ(valueOf(fams, "rampart_xc_sessions", w1), 4);
  EXPECT_EQ(valueOf(fams, "rampart_xc_sessions", {{"worker", "0"}}), 0);
  EXPECT_EQ(valueOf(fams, "rampart_xc_packets_total", {{"worker", "1"}, {"direction", "in"}}), 500);
  EXPECT_EQ(valueOf(fams, "rampart_xc_plc_frames_total", w1), 7);
  EXPECT_EQ(valueOf(fams, "rampart_xc_fec_frames_total", w1), 3);
  EXPECT_EQ(valueOf(fams, "rampart_xc_dtmf_events_total", {{"worker", "1"}, {"method", "inband"}}),
            5);
  EXPECT_EQ(valueOf(fams, "rampart_xc_dtmf_events_total", {{"worker", "1"}, {"method", "rfc4733"}}),
            2);
  EXPECT_EQ(
      valueOf(fams, "rampart_xc_dtmf_events_total", {{"worker", "1"}, {"method", "sip_info"}}), 6);
  EXPECT_DOUBLE_EQ(valueOf(fams, "rampart_xc_cpu_seconds_total", w1), 1.5);
  EXPECT_EQ(valueOf(fams, "rampart_xc_rtcp_total", {{"worker", "1"}, {"direction", "in"}}), 11);
  EXPECT_EQ(valueOf(fams, "rampart_xc_rtcp_total", {{"worker", "1"}, {"direction", "out"}}), 12);
  EXPECT_EQ(valueOf(fams, "rampart_xc_rtcp_bad_total", w1), 1);
  EXPECT_EQ(valueOf(fams, "rampart_xc_rtcp_rtt_samples_total", w1), 9);
  EXPECT_TRUE(makeXcodeCollector(nullptr)->Collect().empty());
}

}  // namespace
}  // namespace rampart::dp
