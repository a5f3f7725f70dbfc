#include <rampart/mgmt/metrics.h>

#include <exception>

#include <prometheus/exposer.h>

namespace rampart::mgmt {

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address,
                                                            uint16_t port,
                                                            const std::string& process) {
  // civetweb wants IPv6 literals in brackets.
  std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  std::string bind = host + ":" + std::to_string(port);
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->process_ = process;
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(bind, 2);
  } catch (const std::exception& e) {
    return Error{ErrorCode::Io, "metrics: cannot listen on " + bind + ": " + e.what()};
  }
  server->registry_ = std::make_shared<prometheus::Registry>();
  server->exposer_->RegisterCollectable(server->registry_);
  server->addCollectable(makeProcessCollector(process));
  return server;
}

MetricsServer::~MetricsServer() = default;

void MetricsServer::addCollectable(const std::shared_ptr<prometheus::Collectable>& collectable) {
  // The exposer keeps weak pointers; the registry keeps the collector alive for our lifetime.
  collectables_.push_back(collectable);
  exposer_->RegisterCollectable(collectable);
}

std::string MetricsServer::boundAddress() const {
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? std::string() : std::to_string(ports.front());
}

}  // namespace rampart::mgmt
