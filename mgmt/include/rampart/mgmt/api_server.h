#pragma once
// The management REST API server: JSON over HTTPS (Boost.Beast), bound to the management
// address only (never a realm's), on the control plane's io_context so handlers own no locks.
// Each request: TLS, HTTP/1.1 request (header and body size-limited, whole exchange
// time-limited), route match (404 / 405), token check (401 without or with an unknown token,
// 403 when the role is too low), handler, JSON answer. Connections are capped; extra ones are
// closed at accept.
//
// Metrics: rampart_mgmt_api_requests_total{route,code} (route: the pattern, or "none";
// code: the HTTP status), rampart_mgmt_api_connections_active.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <rampart/mgmt/api_auth.h>
#include <rampart/mgmt/api_router.h>
#include <rampart/platform/result.h>

namespace prometheus {
class Registry;
}

namespace rampart::mgmt {

struct ApiServerOptions {
  boost::asio::ip::tcp::endpoint endpoint;            // the management address; port 0 picks one
  std::chrono::milliseconds request_timeout{10'000};  // TLS + request + answer
  std::size_t max_body_bytes = 1u << 20;              // config files are at most 1 MiB
  std::size_t max_header_bytes = 8192;
  std::size_t max_connections = 64;
};

// Called after every answered request that is not a GET/HEAD (the audit log's feed).
using ActionObserver = std::function<void(const ApiRequest&, const ApiResponse&)>;

class ApiServer {
 public:
  using TlsContextPtr = std::shared_ptr<boost::asio::ssl::context>;

  ApiServer(boost::asio::io_context& io, ApiServerOptions options, TlsContextPtr tls,
            TokenTable tokens, prometheus::Registry& registry);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  /// Add routes here before start() (see api_router.h).
  Router& router();
  void setActionObserver(ActionObserver observer);

  /// Checks the route table against the OpenAPI document, binds and starts accepting.
  /// @return Error naming an undocumented route, or Unavailable naming the address.
  Result<void> start();
  /// Stops accepting and closes open connections.
  void stop();
  uint16_t port() const;

  // Live changes (config reload): new connections use the new certificate, every request
  // after this call the new tokens. Open connections are not dropped.
  void setTls(TlsContextPtr tls);
  void setTokens(TokenTable tokens);

  struct Shared;  // state shared with the connections (api_server.cc)

 private:
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace rampart::mgmt
