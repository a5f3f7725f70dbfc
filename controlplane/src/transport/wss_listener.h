#pragma once
// SIP over secure WebSocket (RFC 7118) for browsers. A WssListener accepts TCP connections on
// the control plane's io_context and runs each through: TLS handshake, HTTP upgrade request
// (size-limited), access checks (ws_access.h: Origin 403, `sip` subprotocol 400, JWT 401), the
// WebSocket accept answering `sip`; then every WebSocket message (text or binary) is one SIP
// message for MessageSink::onMessage. Each connection enforces its realm's limits (message
// size: close 1009; message rate: close 1008; idle time; ping/pong liveness) and a bounded
// send queue. Connections enter the ConnectionTable once upgraded and leave it on close, when
// the sink hears onConnectionClosed(id). Nothing here blocks; no locks: one thread runs the
// io_context.
//
// Metrics (labels bounded: realm names come from the config, reasons from fixed enums):
//   rampart_cp_connections_active{realm,transport}
//   rampart_cp_connections_refused_total{realm,reason}   reason: refuseReasonName()
//   rampart_cp_jwt_rejections_total{realm,reason}        reason: jwtRejectName()
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <rampart/platform/config.h>
#include <rampart/platform/result.h>

#include "transport/tls_context.h"
#include "transport/transport.h"
#include "transport/turn_credentials.h"
#include "transport/ws_access.h"

namespace prometheus {
class Registry;
}

namespace rampart::cp {

struct WsListenerOptions {
  boost::asio::ip::tcp::endpoint endpoint;  // port 0 picks a free port (tests)
  uint32_t realm_index = 0;                 // Peer::realm of every message
  std::string realm_name;                   // metric label
  uint8_t dscp = 26;                        // signalling DSCP of accepted sockets
  std::size_t max_message_bytes = 65535;
  uint32_t max_messages_per_second = 50;
  std::chrono::milliseconds idle_timeout{120'000};
  std::chrono::milliseconds ping_interval{30'000};  // a pong must arrive within this too
  std::chrono::milliseconds handshake_timeout{5'000};
  std::chrono::milliseconds close_timeout{2'000};  // closing handshake, then the socket goes
  std::size_t max_send_queue_bytes = 1u << 20;     // queued, unsent bytes per connection
  std::size_t max_upgrade_request_bytes = 8192;    // HTTP upgrade request header
  WsAccessPolicy access;
  SourceObserver* observer = nullptr;  // hears refused tokens (may be null)
  std::optional<TurnOptions> turn;     // TURN REST credentials served here (turn_credentials.h)
};

/// Options for `listener` of realm `realm_index` of a loaded configuration (its websocket
/// limits, DSCP, Origin list and JWT policy; reads the JWT key files).
/// @return Error naming the realm and file when a key cannot be read.
Result<WsListenerOptions> wsListenerOptions(const platform::Config& config, uint32_t realm_index,
                                            const platform::SignallingListener& listener);

class WssListener {
 public:
  /// Binds and starts accepting on `io`. `tls` is the realm's server context
  /// (makeServerTlsContext). `table` and `sink` must outlive every connection, i.e. the
  /// io_context's run. Metric families are registered in `registry` (shared by listeners).
  /// @return Error Unavailable naming the address when it cannot bind.
  static Result<std::unique_ptr<WssListener>> create(boost::asio::io_context& io,
                                                     WsListenerOptions options, TlsContextPtr tls,
                                                     ConnectionTable& table, MessageSink& sink,
                                                     prometheus::Registry& registry);
  ~WssListener();
  WssListener(const WssListener&) = delete;
  WssListener& operator=(const WssListener&) = delete;

  /// The bound port (the one picked when the options said 0).
  uint16_t port() const;
  uint32_t realmIndex() const;
  /// Config reload: new limits, access rules and certificate for connections from now on
  /// (the endpoint, realm and DSCP stay). Open connections are kept.
  void reload(WsListenerOptions options, TlsContextPtr tls);
  /// Stops accepting and closes every connection of this listener (each still reports
  /// onConnectionClosed once its socket is gone).
  void stop();

  struct Shared;  // state shared with the connections (defined in the .cc)

 private:
  explicit WssListener(std::shared_ptr<Shared> shared);
  std::shared_ptr<Shared> shared_;
};

}  // namespace rampart::cp
