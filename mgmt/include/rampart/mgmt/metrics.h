#pragma once
// Prometheus exposition for both Rampart processes (prometheus-cpp pull). Every metric name
// starts with "rampart_". Collectors registered here run at scrape time, so hot paths only
// bump their own plain counters (or ring indices) and never call into this module.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/registry.h>

#include <rampart/platform/result.h>
#include <rampart/platform/shm_region.h>

namespace prometheus {
class Exposer;
}

namespace rampart::mgmt {

class MetricsServer {
 public:
  // Listens on address:port (IPv4 or IPv6 literal) and serves /metrics. `process` becomes the
  // "process" label of the process metrics ("dataplane" or "controlplane").
  // @return Error naming the address when it cannot bind.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& address, uint16_t port,
                                                      const std::string& process);
  ~MetricsServer();

  prometheus::Registry& registry() { return *registry_; }
  // Adds a collector called at every scrape (e.g. one that reads shared-memory counters).
  void addCollectable(const std::shared_ptr<prometheus::Collectable>& collectable);
  // The port actually bound, as text (port 0 picks a free port).
  std::string boundAddress() const;

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::string process_;
};

// Collector for ring counters of every worker in `region`:
//   rampart_ring_enqueued_total{worker,ring}, rampart_ring_dequeued_total{worker,ring},
//   rampart_ring_full_total{worker,ring}, rampart_ring_depth{worker,ring}.
// The region must outlive the collector.
std::shared_ptr<prometheus::Collectable> makeRingCollector(const platform::ShmRegion* region);
// Same, for a region that may come and go (the control plane reattaches after a dataplane
// restart): `source` is called at each scrape and may return null (no metrics then).
using RegionSource = std::function<std::shared_ptr<const platform::ShmRegion>()>;
std::shared_ptr<prometheus::Collectable> makeRingCollector(RegionSource source);

// Collector for process metrics read from /proc/self at scrape time:
//   rampart_process_cpu_seconds_total, rampart_process_resident_memory_bytes,
//   rampart_process_open_fds, rampart_process_start_time_seconds, rampart_build_info.
std::shared_ptr<prometheus::Collectable> makeProcessCollector(const std::string& process);

}  // namespace rampart::mgmt
