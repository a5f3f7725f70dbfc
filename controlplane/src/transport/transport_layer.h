#pragma once
// Owns every signalling socket of the control plane: one UDP socket and one TCP acceptor per
// configured listener, the stream connections (inbound and outbound), and — through the WSS
// listener — the browsers' WebSocket connections. Delivers whole SIP messages to one
// MessageSink and sends on whatever transport a destination names (RFC 3261 section 18).
// Runs on the control plane's single event loop; nothing here blocks.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <rampart/platform/config.h>
#include <rampart/platform/result.h>

#include "transport/tls_context.h"
#include "transport/transport.h"
#include "transport/wss_listener.h"

namespace rampart::cp {

struct Destination {
  Transport transport = Transport::Udp;
  boost::asio::ip::address address;
  uint16_t port = 5060;
  uint64_t connection = 0;  // a stream connection to use; 0: find or open one
  uint32_t realm = 0;       // the realm whose sockets send it
  // The SIP domain a host-name URI named (RFC 5922 4): sent as TLS SNI and matched against the
  // server's certificate. Empty for IP literals (the address is matched instead).
  std::string host = {};
};

struct TransportLimits {
  std::size_t max_message_bytes = 65535;
  std::size_t max_send_queue_bytes = 1 << 20;
  uint32_t idle_timeout_s = 300;         // stream connections with no traffic are closed
  uint32_t first_message_timeout_s = 5;  // inbound: no SIP message by then, closed
};

class TransportLayer {
 public:
  TransportLayer(boost::asio::io_context& io, const platform::Config& config,
                 prometheus::Registry& registry);
  /// Who receives messages (the transaction layer); set before start().
  void setSink(MessageSink* sink) { sink_ = sink; }
  /// Who hears about misbehaving sources (the security layer); optional, set before start().
  void setSourceObserver(SourceObserver* o) { observer_ = o; }
  ~TransportLayer();

  /// Binds every UDP and TCP listener of every realm. @return Io naming the listener that
  /// could not be bound.
  Result<void> start();
  void stop();

  /// Outbound TLS toward trunks: certificate verification and CA file (verify on by default).
  void setClientTls(ClientTlsOptions options) { client_tls_options_ = std::move(options); }

  /// Sends one message; never blocks. A stream destination without a live connection opens
  /// one (TCP or TLS). @return false when it cannot be sent (closed connection, no socket for the
  /// realm and transport); the drop is counted.
  bool send(const Destination& dst, std::string bytes);

  /// The listener Rampart advertises on `realm` for `transport` (Via sent-by, Contact, Record-
  /// Route). nullopt when the realm has none of that transport.
  std::optional<platform::SignallingListener> listener(uint32_t realm, Transport transport) const;

  /// Config reload: TLS certificates of every tls/wss listener and the WebSocket access rules
  /// (Origin allow-list, JWT keys and policy, limits) from `next`, for connections accepted
  /// from now on; open connections are kept. All or nothing.
  /// @return Error naming the realm key when a certificate or key file cannot be used.
  Result<void> reloadSecurity(const platform::Config& next);

  /// The UDP signalling sockets as (descriptor, realm), for the kernel ban filter.
  std::vector<std::pair<int, uint32_t>> udpSockets() const;

  ConnectionTable& connections() { return connections_; }
  MessageSink& sink() { return *sink_; }
  boost::asio::io_context& io() { return io_; }
  const TransportLimits& limits() const { return limits_; }

  // Called by stream connections.
  void connectionOpened(uint32_t realm, Transport t);
  void connectionClosed(uint64_t id, uint32_t realm, Transport t);
  bool admitConnection(const boost::asio::ip::address& source, uint32_t realm, Transport t) {
    return observer_ == nullptr || observer_->admitConnection(source, realm, t);
  }
  void connectionEnded(const boost::asio::ip::address& source) {
    if (observer_ != nullptr) {
      observer_->connectionEnded(source);
    }
  }
  void countDrop(const char* reason);
  void countOversize();

 private:
  class UdpSocket;
  class StreamAcceptor;
  Result<void> startWss(uint32_t realm, const platform::SignallingListener& l);
  std::shared_ptr<Connection> connect(const Destination& dst);

  boost::asio::io_context& io_;
  const platform::Config& config_;
  MessageSink* sink_ = nullptr;
  SourceObserver* observer_ = nullptr;
  TransportLimits limits_;
  ConnectionTable connections_;
  std::vector<std::shared_ptr<UdpSocket>> udp_;
  std::vector<std::shared_ptr<StreamAcceptor>> streams_;
  std::vector<std::unique_ptr<WssListener>> wss_;
  prometheus::Registry& registry_;
  ClientTlsOptions client_tls_options_;
  TlsContextPtr client_tls_;                // made on the first outbound TLS connection
  std::vector<TlsContextPtr> retired_tls_;  // certificates in force before reloads
  prometheus::Family<prometheus::Gauge>* active_family_;
  prometheus::Family<prometheus::Counter>* drops_family_;
  prometheus::Counter* oversize_;
};

/// Applies the realm's signalling DSCP to a socket (IP_TOS, or IPV6_TCLASS for IPv6).
void setSignallingDscp(int fd, bool ipv6, uint8_t dscp);

}  // namespace rampart::cp
