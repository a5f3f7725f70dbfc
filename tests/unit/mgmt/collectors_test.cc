// Metrics as an operator sees them: the ring collector over a region this test creates and
// fills, the process collector's /proc readings, and /metrics served over HTTP on loopback.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include <rampart/mgmt/metrics.h>
#include <rampart/platform/shm_region.h>
#include <rampart/platform/spsc_ring.h>

namespace rampart::mgmt {
namespace {

using platform::RingKind;
using platform::ShmRegion;

std::string uniqueName(const char* tag) {
  return "/rampart-test-mgmt-" + std::string(tag) + "-" + std::to_string(getpid());
}

// Two workers with small rings so that filling one to the brim stays cheap.
platform::RegionGeometry smallGeometry() {
  platform::RegionGeometry g;
  g.n_workers = 2;
  g.cmd_slots = 8;
  g.evt_slots = 16;
  g.punt_slots = 8;
  g.inject_slots = 8;
  return g;
}

// Enqueues `n` small messages; returns how many the ring took.
uint32_t enqueue(platform::RingHeader* ring, uint32_t n) {
  platform::RingProducer p(ring);
  uint64_t payload = 0x52414d50;
  uint32_t taken = 0;
  for (uint32_t i = 0; i < n; ++i) {
    taken += p.enqueue(&payload, sizeof(payload)) ? 1 : 0;
  }
  return taken;
}

// Dequeues up to `n` messages; returns how many were there.
uint32_t dequeue(platform::RingHeader* ring, uint32_t n) {
  platform::RingConsumer c(ring);
  uint32_t k = c.available(n);
  k = k < n ? k : n;
  c.release(k);
  return k;
}

using Labels = std::map<std::string, std::string>;

Labels labelsOf(const prometheus::ClientMetric& m) {
  Labels out;
  for (const auto& l : m.label) {
    out[l.name] = l.value;
  }
  return out;
}

const prometheus::MetricFamily* findFamily(const std::vector<prometheus::MetricFamily>& fams,
                                           const std::string& name) {
  for (const auto& f : fams) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

// The value of the sample in `family` whose labels are exactly `labels`, or -1 when
// there is none (tests only expect non-negative values).
double sampleValue(const prometheus::MetricFamily& family, const Labels& labels) {
  for (const auto& m : family.metric) {
    if (labelsOf(m) == labels) {
      return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return -1;
}

// GET `path` from 127.0.0.1:`port` (HTTP/1.0, so the server closes after the reply); the whole
// response including the status line, or "" on failure. Every socket call is bounded by 2 s.
std::string httpGet(uint16_t port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return "";
  }
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      while (std::chrono::steady_clock::now() < deadline) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
          break;
        }
        response.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  close(fd);
  return response;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Known traffic: worker 0's command ring took 5 and gave back 3; worker 1's event ring was
// filled to its 16 slots, refused 2 more attempts, and gave back 4.
void addKnownTraffic(ShmRegion& region) {
  ASSERT_EQ(enqueue(region.ring(0, RingKind::Command), 5), 5u);
  ASSERT_EQ(dequeue(region.ring(0, RingKind::Command), 3), 3u);
  ASSERT_EQ(enqueue(region.ring(1, RingKind::Event), 18), 16u);
  ASSERT_EQ(dequeue(region.ring(1, RingKind::Event), 4), 4u);
}

class FilledRegion : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = ShmRegion::create(uniqueName("filled"), smallGeometry());
    ASSERT_TRUE(r) << r.error().message;
    region_ = std::move(*r);
    addKnownTraffic(region_);
  }

  ShmRegion region_;
};

TEST_F(FilledRegion, RingCollectorReportsCountersAndDepthPerWorkerAndRing) {
  auto collector = makeRingCollector(&region_);
  auto fams = collector->Collect();

  const auto* enq = findFamily(fams, "rampart_ring_enqueued_total");
  const auto* deq = findFamily(fams, "rampart_ring_dequeued_total");
  const auto* full = findFamily(fams, "rampart_ring_full_total");
  const auto* depth = findFamily(fams, "rampart_ring_depth");
  ASSERT_NE(enq, nullptr);
  ASSERT_NE(deq, nullptr);
  ASSERT_NE(full, nullptr);
  ASSERT_NE(depth, nullptr);
  EXPECT_EQ(enq->type, prometheus::MetricType::Counter);
  EXPECT_EQ(deq->type, prometheus::MetricType::Counter);
  EXPECT_EQ(full->type, prometheus::MetricType::Counter);
  EXPECT_EQ(depth->type, prometheus::MetricType::Gauge);

  // One sample per worker and ring kind, each labelled worker and ring.
  for (const auto* f : {enq, deq, full, depth}) {
    EXPECT_EQ(f->metric.size(), 2u * platform::kRingKinds) << f->name;
  }

  Labels cmd0{{"worker", "0"}, {"ring", "command"}};
  EXPECT_EQ(sampleValue(*enq, cmd0), 5);
  EXPECT_EQ(sampleValue(*deq, cmd0), 3);
  EXPECT_EQ(sampleValue(*full, cmd0), 0);
  EXPECT_EQ(sampleValue(*depth, cmd0), 2);

  Labels evt1{{"worker", "1"}, {"ring", "event"}};
  EXPECT_EQ(sampleValue(*enq, evt1), 16);
  EXPECT_EQ(sampleValue(*deq, evt1), 4);
  EXPECT_EQ(sampleValue(*full, evt1), 2);
  EXPECT_EQ(sampleValue(*depth, evt1), 12);

  // Untouched rings are reported, at zero.
  for (const char* w : {"0", "1"}) {
    for (const char* ring : {"punt", "inject"}) {
      Labels idle{{"worker", w}, {"ring", ring}};
      for (const auto* f : {enq, deq, full, depth}) {
        EXPECT_EQ(sampleValue(*f, idle), 0) << f->name << " worker " << w << " ring " << ring;
      }
    }
  }
  EXPECT_EQ(sampleValue(*enq, {{"worker", "1"}, {"ring", "command"}}), 0);
  EXPECT_EQ(sampleValue(*enq, {{"worker", "0"}, {"ring", "event"}}), 0);
}

TEST_F(FilledRegion, RingCollectorReadsCountersAtEachScrape) {
  auto collector = makeRingCollector(&region_);
  ASSERT_EQ(enqueue(region_.ring(0, RingKind::Command), 1), 1u);
  auto fams = collector->Collect();
  const auto* depth = findFamily(fams, "rampart_ring_depth");
  ASSERT_NE(depth, nullptr);
  EXPECT_EQ(sampleValue(*depth, {{"worker", "0"}, {"ring", "command"}}), 3);

  ASSERT_EQ(dequeue(region_.ring(0, RingKind::Command), 3), 3u);
  fams = collector->Collect();
  depth = findFamily(fams, "rampart_ring_depth");
  ASSERT_NE(depth, nullptr);
  EXPECT_EQ(sampleValue(*depth, {{"worker", "0"}, {"ring", "command"}}), 0);
}

TEST(RingCollector, NullOrInvalidRegionYieldsNoSamples) {
  EXPECT_TRUE(makeRingCollector(static_cast<const ShmRegion*>(nullptr))->Collect().empty());
  ShmRegion unmapped;  // default-constructed: not valid()
  EXPECT_TRUE(makeRingCollector(&unmapped)->Collect().empty());
  RegionSource none = [] { return std::shared_ptr<const ShmRegion>(); };
  EXPECT_TRUE(makeRingCollector(none)->Collect().empty());
}

// The control plane's case: no region until the dataplane is up, then one, then none again.
TEST(RingCollector, SourceRegionMayComeAndGo) {
  std::shared_ptr<const ShmRegion> current;
  auto collector = makeRingCollector([&current] { return current; });
  EXPECT_TRUE(collector->Collect().empty());

  auto r = ShmRegion::create(uniqueName("source"), smallGeometry());
  ASSERT_TRUE(r) << r.error().message;
  auto region = std::make_shared<ShmRegion>(std::move(*r));
  ASSERT_EQ(enqueue(region->ring(1, RingKind::Punt), 7), 7u);
  current = region;
  auto fams = collector->Collect();
  const auto* enq = findFamily(fams, "rampart_ring_enqueued_total");
  ASSERT_NE(enq, nullptr);
  EXPECT_EQ(sampleValue(*enq, {{"worker", "1"}, {"ring", "punt"}}), 7);

  current.reset();
  EXPECT_TRUE(collector->Collect().empty());
}

TEST(ProcessCollector, ReportsPlausibleValuesForThisProcess) {
  auto collector = makeProcessCollector("controlplane");
  auto fams = collector->Collect();
  Labels process{{"process", "controlplane"}};

  const auto* cpu = findFamily(fams, "rampart_process_cpu_seconds_total");
  const auto* rss = findFamily(fams, "rampart_process_resident_memory_bytes");
  const auto* start = findFamily(fams, "rampart_process_start_time_seconds");
  const auto* fds = findFamily(fams, "rampart_process_open_fds");
  const auto* info = findFamily(fams, "rampart_build_info");
  ASSERT_NE(cpu, nullptr);
  ASSERT_NE(rss, nullptr);
  ASSERT_NE(start, nullptr);
  ASSERT_NE(fds, nullptr);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(cpu->type, prometheus::MetricType::Counter);

  double cpu_s = sampleValue(*cpu, process);
  EXPECT_GE(cpu_s, 0);
  EXPECT_LT(cpu_s, 60);  // a unit test that has just started
  EXPECT_GT(sampleValue(*rss, process), 1 << 20);
  EXPECT_LT(sampleValue(*rss, process), 4.0 * (1ull << 30));

  double now = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  double started = sampleValue(*start, process);
  EXPECT_LE(started, now + 2);  // btime is whole seconds
  EXPECT_GT(started, now - 3600);

  ASSERT_EQ(info->metric.size(), 1u);
  Labels build = labelsOf(info->metric[0]);
  EXPECT_EQ(build["process"], "controlplane");
  EXPECT_FALSE(build["version"].empty());
  EXPECT_EQ(info->metric[0].gauge.value, 1);
}

TEST(ProcessCollector, OpenFdsFollowsTheProcess) {
  auto collector = makeProcessCollector("dataplane");
  Labels process{{"process", "dataplane"}};
  auto openFds = [&] {
    auto fams = collector->Collect();
    const auto* fds = findFamily(fams, "rampart_process_open_fds");
    return fds ? sampleValue(*fds, process) : -1;
  };
  double before = openFds();
  EXPECT_GE(before, 1);
  int extra[3];
  for (int& fd : extra) {
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
  }
  EXPECT_EQ(openFds(), before + 3);
  for (int fd : extra) {
    close(fd);
  }
  EXPECT_EQ(openFds(), before);
}

// One server for the HTTP tests: civetweb takes about 2 s to stop once it has served a
// connection (or seen a refused bind on its port), so the suite pays that once, at teardown.
class MetricsHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto r = ShmRegion::create(uniqueName("served"), smallGeometry());
    ASSERT_TRUE(r) << r.error().message;
    region_ = new ShmRegion(std::move(*r));
    addKnownTraffic(*region_);
    auto server = MetricsServer::start("127.0.0.1", 0, "controlplane");
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(server.value());
    server_->addCollectable(makeRingCollector(region_));
  }

  static void TearDownTestSuite() {
    server_.reset();  // before the region its collector reads
    delete region_;
    region_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    bound_ = server_->boundAddress();
    port_ = std::atoi(bound_.c_str());
    ASSERT_GT(port_, 0) << bound_;
    ASSERT_LT(port_, 65536) << bound_;
  }

  static inline ShmRegion* region_ = nullptr;
  static inline std::unique_ptr<MetricsServer> server_;
  std::string bound_;
  int port_ = 0;
};

TEST_F(MetricsHttp, ServesRingAndProcessFamiliesOnLoopback) {
  std::string reply = httpGet(static_cast<uint16_t>(port_), "/metrics");
  ASSERT_TRUE(contains(reply, " 200 ")) << reply.substr(0, 200);
  for (const char* family : {"rampart_ring_enqueued_total", "rampart_ring_dequeued_total",
                             "rampart_ring_full_total", "rampart_ring_depth"}) {
    EXPECT_TRUE(contains(reply, std::string("# TYPE ") + family + " ")) << family;
  }
  EXPECT_TRUE(contains(reply, "rampart_ring_enqueued_total{worker=\"0\",ring=\"command\"} 5\n"))
      << reply;
  EXPECT_TRUE(contains(reply, "rampart_ring_dequeued_total{worker=\"0\",ring=\"command\"} 3\n"));
  EXPECT_TRUE(contains(reply, "rampart_ring_full_total{worker=\"1\",ring=\"event\"} 2\n"));
  EXPECT_TRUE(contains(reply, "rampart_ring_depth{worker=\"1\",ring=\"event\"} 12\n"));
  EXPECT_TRUE(contains(reply, "rampart_process_open_fds{process=\"controlplane\"} "));
  EXPECT_TRUE(contains(reply, "rampart_build_info{process=\"controlplane\",version=\""));
}

TEST_F(MetricsHttp, PortInUseIsAnErrorNamingTheAddress) {
  auto second = MetricsServer::start("127.0.0.1", static_cast<uint16_t>(port_), "dataplane");
  ASSERT_FALSE(second);
  EXPECT_TRUE(contains(second.error().message, "127.0.0.1:" + bound_)) << second.error().message;
}

}  // namespace
}  // namespace rampart::mgmt
