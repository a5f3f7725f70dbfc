#pragma once
// The control plane's connection to rampart-dataplane: attaches to the shared-memory region,
// handshakes, and notices when the dataplane restarts (new epoch) or disappears, reattaching
// as soon as a new one is ready. Either process may restart without the other.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <rampart/platform/dp_client.h>

namespace rampart::cp {

class DataplaneLink {
 public:
  DataplaneLink(std::string shm_name, prometheus::Registry& registry);

  // Drives the link: connects when disconnected (at most once per retry interval), checks the
  // epoch and heartbeat when connected. Call from the control plane's main loop.
  void poll();

  bool connected() const;
  // The region of the current connection, for metrics; null while disconnected.
  std::shared_ptr<const platform::ShmRegion> region() const;

 private:
  void connect();
  void disconnect(const char* why);

  std::string shm_name_;
  mutable std::mutex mu_;  // guards client_ (metrics scrapes run on another thread)
  std::shared_ptr<platform::DataplaneClient> client_;
  uint64_t next_attempt_ns_ = 0;
  uint64_t next_check_ns_ = 0;
  std::string last_error_;
  prometheus::Gauge* connected_gauge_;
  prometheus::Gauge* epoch_gauge_;
  prometheus::Counter* handshakes_;
  prometheus::Counter* handshake_failures_;
  prometheus::Counter* restarts_seen_;
};

}  // namespace rampart::cp
