#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <rampart/mgmt/metric_families.h>
#include <rampart/mgmt/metrics.h>

namespace rampart::mgmt {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

class RingCollector : public prometheus::Collectable {
 public:
  explicit RingCollector(RegionSource source) : source_(std::move(source)) {}

  std::vector<MetricFamily> Collect() const override {
    std::shared_ptr<const platform::ShmRegion> region = source_();
    if (!region || !region->valid()) {
      return {};
    }
    auto enq = family("rampart_ring_enqueued_total", "Messages enqueued on a shared-memory ring",
                      MetricType::Counter);
    auto deq = family("rampart_ring_dequeued_total", "Messages dequeued from a shared-memory ring",
                      MetricType::Counter);
    auto full = family("rampart_ring_full_total",
                       "Enqueue attempts refused because the ring was full", MetricType::Counter);
    auto depth = family("rampart_ring_depth", "Messages waiting in a ring", MetricType::Gauge);
    auto slots = family("rampart_ring_slots", "Capacity of a ring in slots", MetricType::Gauge);
    for (uint32_t w = 0; w < region->workers(); ++w) {
      for (uint32_t k = 0; k < platform::kRingKinds; ++k) {
        auto kind = static_cast<platform::RingKind>(k);
        const platform::RingHeader* ring = region->ring(w, kind);
        platform::RingCounters c = platform::ringCounters(ring);
        std::vector<ClientMetric::Label> labels{{"worker", std::to_string(w)},
                                                {"ring", platform::ringKindName(kind)}};
        addValue(enq, labels, static_cast<double>(c.enqueued));
        addValue(deq, labels, static_cast<double>(c.dequeued));
        addValue(full, labels, static_cast<double>(c.full));
        addValue(depth, labels, static_cast<double>(c.enqueued - c.dequeued));
        addValue(slots, labels, static_cast<double>(ring->slot_count));
      }
    }
    return {enq, deq, full, depth, slots};
  }

 private:
  RegionSource source_;
};

class ProcessCollector : public prometheus::Collectable {
 public:
  explicit ProcessCollector(std::string process) : process_(std::move(process)) {}

  std::vector<MetricFamily> Collect() const override {
    std::vector<ClientMetric::Label> labels{{"process", process_}};
    std::vector<MetricFamily> out;
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    // /proc/self/stat: fields after the parenthesised command name; utime=14, stime=15,
    // starttime=22, rss=24 (1-based, per proc(5)).
    std::ifstream stat("/proc/self/stat");
    std::string line;
    if (std::getline(stat, line)) {
      auto close = line.rfind(')');
      if (close != std::string::npos) {
        std::istringstream rest(line.substr(close + 2));
        std::vector<std::string> f;
        std::string tok;
        while (rest >> tok) {
          f.push_back(tok);
        }
        // f[0] is field 3 (state).
        if (f.size() > 21 && ticks > 0) {
          double cpu = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(ticks);
          auto c = family("rampart_process_cpu_seconds_total", "User and system CPU time",
                          MetricType::Counter);
          addValue(c, labels, cpu);
          out.push_back(c);
          auto rss =
              family("rampart_process_resident_memory_bytes", "Resident memory", MetricType::Gauge);
          addValue(rss, labels, std::stod(f[21]) * static_cast<double>(page));
          out.push_back(rss);
          auto start = family("rampart_process_start_time_seconds",
                              "Start time since the Unix epoch", MetricType::Gauge);
          addValue(start, labels, bootTime() + std::stod(f[19]) / static_cast<double>(ticks));
          out.push_back(start);
        }
      }
    }
    auto fds = family("rampart_process_open_fds", "Open file descriptors", MetricType::Gauge);
    addValue(fds, labels, static_cast<double>(countFds()));
    out.push_back(fds);
    auto info = family("rampart_build_info", "Build version", MetricType::Gauge);
    auto info_labels = labels;
    info_labels.push_back({"version", RAMPART_VERSION});
    addValue(info, info_labels, 1);
    out.push_back(info);
    return out;
  }

 private:
  static double bootTime() {
    std::ifstream in("/proc/stat");
    std::string key;
    double value = 0;
    while (in >> key) {
      if (key == "btime") {
        in >> value;
        break;
      }
    }
    return value;
  }

  static int countFds() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
      while (dirent* e = readdir(d)) {
        n += e->d_name[0] != '.' ? 1 : 0;
      }
      closedir(d);
    }
    return n > 0 ? n - 1 : 0;  // minus the directory handle itself
  }

  std::string process_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> makeRingCollector(const platform::ShmRegion* region) {
  // Non-owning: the caller guarantees the region outlives the collector.
  std::shared_ptr<const platform::ShmRegion> fixed(region, [](const platform::ShmRegion*) {});
  return std::make_shared<RingCollector>([fixed] { return fixed; });
}

std::shared_ptr<prometheus::Collectable> makeRingCollector(RegionSource source) {
  return std::make_shared<RingCollector>(std::move(source));
}

std::shared_ptr<prometheus::Collectable> makeProcessCollector(const std::string& process) {
  return std::make_shared<ProcessCollector>(process);
}

}  // namespace rampart::mgmt
