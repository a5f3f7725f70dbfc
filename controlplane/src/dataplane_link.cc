#include <rampart/cp/dataplane_link.h>

#include <rampart/platform/log.h>

namespace rampart::cp {
namespace {
constexpr uint64_t kRetryNs = 500'000'000;      // reconnect attempts twice a second
constexpr uint64_t kCheckNs = 200'000'000;      // epoch/heartbeat check period
constexpr uint64_t kHeartbeatStaleNs = 3'000'000'000;
constexpr uint32_t kHandshakeTimeoutMs = 2000;
}  // namespace

DataplaneLink::DataplaneLink(std::string shm_name, prometheus::Registry& registry)
    : shm_name_(std::move(shm_name)) {
  connected_gauge_ = &prometheus::BuildGauge()
                          .Name("rampart_cp_dataplane_connected")
                          .Help("1 while the control plane holds a handshaken dataplane link")
                          .Register(registry)
                          .Add({});
  epoch_gauge_ = &prometheus::BuildGauge()
                      .Name("rampart_cp_dataplane_epoch")
                      .Help("Epoch of the dataplane region currently attached")
                      .Register(registry)
                      .Add({});
  auto& hs = prometheus::BuildCounter()
                 .Name("rampart_cp_dataplane_handshakes_total")
                 .Help("Handshakes with the dataplane by result")
                 .Register(registry);
  handshakes_ = &hs.Add({{"result", "ok"}});
  handshake_failures_ = &hs.Add({{"result", "failed"}});
  restarts_seen_ = &prometheus::BuildCounter()
                        .Name("rampart_cp_dataplane_restarts_total")
                        .Help("Dataplane restarts (new epochs) noticed by the control plane")
                        .Register(registry)
                        .Add({});
}

bool DataplaneLink::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return client_ != nullptr;
}

std::shared_ptr<const platform::ShmRegion> DataplaneLink::region() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!client_) {
    return nullptr;
  }
  // Aliasing pointer: keeps the client (and so its mapping) alive during a scrape.
  return {client_, &client_->region()};
}

void DataplaneLink::connect() {
  auto client = platform::DataplaneClient::connect(shm_name_, kHandshakeTimeoutMs);
  if (!client) {
    handshake_failures_->Increment();
    // Log each distinct reason once, not twice a second.
    if (client.error().message != last_error_) {
      last_error_ = client.error().message;
      RAMPART_LOG(platform::LogLevel::Warn, "cp", "dataplane not available: %s",
                  last_error_.c_str());
    }
    return;
  }
  auto shared = std::make_shared<platform::DataplaneClient>(std::move(client.value()));
  uint32_t flows = 0;
  for (uint32_t f : shared->flowsAtHandshake()) {
    flows += f;
  }
  RAMPART_LOG(platform::LogLevel::Info, "cp",
              "dataplane attached: region %s epoch %llu, %u workers, %u live flows",
              shm_name_.c_str(), static_cast<unsigned long long>(shared->epoch()),
              shared->workers(), flows);
  last_error_.clear();
  handshakes_->Increment();
  epoch_gauge_->Set(static_cast<double>(shared->epoch()));
  connected_gauge_->Set(1);
  std::lock_guard<std::mutex> lock(mu_);
  client_ = std::move(shared);
}

void DataplaneLink::disconnect(const char* why) {
  RAMPART_LOG(platform::LogLevel::Warn, "cp", "dataplane link lost: %s", why);
  connected_gauge_->Set(0);
  std::lock_guard<std::mutex> lock(mu_);
  client_.reset();
}

void DataplaneLink::poll() {
  uint64_t now = platform::monotonicNs();
  std::shared_ptr<platform::DataplaneClient> client;
  {
    std::lock_guard<std::mutex> lock(mu_);
    client = client_;
  }
  if (!client) {
    if (now >= next_attempt_ns_) {
      next_attempt_ns_ = now + kRetryNs;
      connect();
    }
    return;
  }
  if (now < next_check_ns_) {
    return;
  }
  next_check_ns_ = now + kCheckNs;
  const auto& header = client->region().header();
  if (header.state.load(std::memory_order_acquire) !=
      static_cast<uint32_t>(platform::RegionState::Ready)) {
    disconnect("dataplane is stopping");
    return;
  }
  if (client->dataplaneRestarted()) {
    restarts_seen_->Increment();
    disconnect("dataplane restarted (new epoch)");
    next_attempt_ns_ = 0;
    return;
  }
  uint64_t beat = header.heartbeat_ns.load(std::memory_order_relaxed);
  if (now > beat && now - beat > kHeartbeatStaleNs) {
    disconnect("dataplane heartbeat stopped");
  }
}

}  // namespace rampart::cp
