// UDP sockets, TCP acceptors and TCP connections (TLS and WSS arrive through their own
// listeners and register their connections in the same ConnectionTable).
#include "transport/transport_layer.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <deque>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <rampart/platform/log.h>

#include "transport/stream_connection.h"

namespace rampart::cp {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

void setSignallingDscp(int fd, bool ipv6, uint8_t dscp) {
  int tos = dscp << 2;
  if (ipv6) {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
  } else {
    ::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
  }
}

namespace {
asio::ip::address toAsio(const platform::IpAddress& a) { return asio::ip::make_address(a.text); }
}  // namespace

// --- UDP ------------------------------------------------------------------------------------
class TransportLayer::UdpSocket : public std::enable_shared_from_this<UdpSocket> {
 public:
  UdpSocket(TransportLayer& layer, uint32_t realm, uint8_t dscp)
      : layer_(layer), socket_(layer.io()), realm_(realm), dscp_(dscp) {}

  Result<void> bind(const udp::endpoint& ep) {
    boost::system::error_code ec;
    socket_.open(ep.protocol(), ec);
    if (!ec) {
      socket_.set_option(asio::socket_base::reuse_address(true), ec);
      socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
      ec.clear();
      socket_.bind(ep, ec);
    }
    if (ec) {
      return Error{ErrorCode::Io, "cannot bind udp " + ep.address().to_string() + ":" +
                                      std::to_string(ep.port()) + ": " + ec.message()};
    }
    setSignallingDscp(socket_.native_handle(), ep.address().is_v6(), dscp_);
    v6_ = ep.address().is_v6();
    return {};
  }

  // Waits for readability, then takes what is queued in recvmmsg batches: one system call
  // per batch instead of one per datagram (a flood's cost is mostly per-datagram overhead).
  void receive() {
    socket_.async_wait(udp::socket::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) {
                         if (ec == asio::error::operation_aborted || !self->socket_.is_open()) {
                           return;
                         }
                         if (!ec) {
                           self->drain();
                         }
                         self->receive();
                       });
  }

  void send(const udp::endpoint& to, std::string bytes) {
    auto data = std::make_shared<std::string>(std::move(bytes));
    socket_.async_send_to(
        asio::buffer(*data), to,
        [data, self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          if (ec && ec != asio::error::operation_aborted) {
            self->layer_.countDrop("udp_send_error");
          }
        });
  }

  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

  uint32_t realm() const { return realm_; }
  int fd() { return socket_.native_handle(); }
  bool v6() const { return v6_; }  // cached: asking the socket costs a getsockname per send

 private:
  static constexpr unsigned kBatch = 16;
  // Batches per wakeup at most, so one busy socket cannot hold the event loop.
  static constexpr int kRounds = 4;

  // One slot per datagram of a batch: larger than the biggest message accepted, so a longer
  // datagram shows as oversize. Left uninitialised: pages are only touched when used.
  void allocate() {
    slot_bytes_ = layer_.limits().max_message_bytes + 1;
    buf_.reset(new char[slot_bytes_ * kBatch]);
    for (unsigned i = 0; i < kBatch; ++i) {
      iov_[i] = {buf_.get() + i * slot_bytes_, slot_bytes_};
    }
  }

  void drain() {
    if (!buf_) {
      allocate();
    }
    for (int round = 0; round < kRounds; ++round) {
      for (unsigned i = 0; i < kBatch; ++i) {
        msgs_[i].msg_hdr = {};
        msgs_[i].msg_hdr.msg_name = &from_[i];
        msgs_[i].msg_hdr.msg_namelen = sizeof(from_[i]);
        msgs_[i].msg_hdr.msg_iov = &iov_[i];
        msgs_[i].msg_hdr.msg_iovlen = 1;
      }
      int n = ::recvmmsg(socket_.native_handle(), msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
      for (int i = 0; i < n; ++i) {
        deliver(static_cast<unsigned>(i));
      }
      if (n < static_cast<int>(kBatch)) {
        return;
      }
    }
  }

  void deliver(unsigned i) {
    const std::size_t n = msgs_[i].msg_len;
    if ((msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || n > layer_.limits().max_message_bytes) {
      layer_.countOversize();
      return;
    }
    std::string_view data(static_cast<const char*>(iov_[i].iov_base), n);
    // RFC 5626 keepalives and stray line ends carry no message.
    if (data.find_first_not_of("\r\n ") == std::string_view::npos) {
      return;
    }
    udp::endpoint from;
    std::memcpy(from.data(), &from_[i], msgs_[i].msg_hdr.msg_namelen);
    from.resize(msgs_[i].msg_hdr.msg_namelen);
    Peer peer{Transport::Udp, from.address(), from.port(), 0, realm_};
    layer_.sink().onMessage(peer, std::string(data));
  }

  TransportLayer& layer_;
  udp::socket socket_;
  uint32_t realm_;
  uint8_t dscp_;
  bool v6_ = false;
  std::size_t slot_bytes_ = 0;
  std::unique_ptr<char[]> buf_;
  std::array<iovec, kBatch> iov_{};
  std::array<mmsghdr, kBatch> msgs_{};
  std::array<sockaddr_storage, kBatch> from_{};
};

// --- TCP and TLS listeners ------------------------------------------------------------------
class TransportLayer::StreamAcceptor : public std::enable_shared_from_this<StreamAcceptor> {
 public:
  StreamAcceptor(TransportLayer& layer, uint32_t realm, uint8_t dscp, TlsContextPtr tls)
      : layer_(layer), acceptor_(layer.io()), realm_(realm), dscp_(dscp), tls_(std::move(tls)) {}

  uint32_t realm() const { return realm_; }
  bool isTls() const { return tls_ != nullptr; }
  // A reload's new certificate: connections accepted from now on use it.
  void setTls(TlsContextPtr tls) { tls_ = std::move(tls); }

  Result<void> bind(const tcp::endpoint& ep) {
    boost::system::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
      acceptor_.bind(ep, ec);
    }
    if (!ec) {
      // On the listening socket too, so the SYN-ACK already carries the signalling DSCP.
      setSignallingDscp(acceptor_.native_handle(), ep.address().is_v6(), dscp_);
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return Error{ErrorCode::Io, std::string("cannot listen on ") + (tls_ ? "tls " : "tcp ") +
                                      ep.address().to_string() + ":" + std::to_string(ep.port()) +
                                      ": " + ec.message()};
    }
    return {};
  }

  void accept() {
    acceptor_.async_accept(
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) {
            return;
          }
          if (!ec) {
            self->adopt(std::move(socket));
          }
          self->accept();
        });
  }

  void close() {
    boost::system::error_code ec;
    acceptor_.close(ec);
  }

 private:
  void adopt(tcp::socket socket) {
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) {
      return;
    }
    Transport t = tls_ ? Transport::Tls : Transport::Tcp;
    if (!layer_.admitConnection(remote.address(), realm_, t)) {
      return;  // the socket closes here, before any TLS work
    }
    Peer peer{t, remote.address(), remote.port(), layer_.connections().nextId(), realm_};
    if (tls_) {
      auto conn = std::make_shared<StreamConnection<TlsStream>>(
          layer_, TlsStream(std::move(socket), *tls_), peer, dscp_);
      layer_.connections().add(conn);
      conn->startAccepted(true);
    } else {
      auto conn =
          std::make_shared<StreamConnection<tcp::socket>>(layer_, std::move(socket), peer, dscp_);
      layer_.connections().add(conn);
      conn->startAccepted(true);
    }
  }

  TransportLayer& layer_;
  tcp::acceptor acceptor_;
  uint32_t realm_;
  uint8_t dscp_;
  TlsContextPtr tls_;
};

// --- the layer ------------------------------------------------------------------------------
TransportLayer::TransportLayer(asio::io_context& io, const platform::Config& config,
                               prometheus::Registry& registry)
    : io_(io), config_(config), registry_(registry) {
  limits_.max_message_bytes = config.security.max_sip_message_bytes;
  limits_.first_message_timeout_s = config.security.connections.unauthenticated_timeout_s;
  active_family_ = &prometheus::BuildGauge()
                        .Name("rampart_cp_connections_active")
                        .Help("Open signalling stream connections by realm and transport")
                        .Register(registry);
  drops_family_ = &prometheus::BuildCounter()
                       .Name("rampart_cp_transport_drops_total")
                       .Help("Signalling messages the transport layer could not send or deliver")
                       .Register(registry);
  oversize_ = &drops_family_->Add({{"reason", "oversize_or_unframed"}});
}

TransportLayer::~TransportLayer() { stop(); }

Result<void> TransportLayer::start() {
  for (uint32_t r = 0; r < config_.realms.size(); ++r) {
    const auto& realm = config_.realms[r];
    for (const auto& l : realm.signalling) {
      auto addr = toAsio(l.address);
      if (l.transport == Transport::Udp) {
        auto s = std::make_shared<UdpSocket>(*this, r, realm.dscp.signalling);
        auto ok = s->bind(udp::endpoint(addr, l.port));
        if (!ok) {
          return Error{ErrorCode::Io, "realm " + realm.name + ": " + ok.error().message};
        }
        s->receive();
        udp_.push_back(std::move(s));
      } else if (l.transport == Transport::Tcp || l.transport == Transport::Tls) {
        TlsContextPtr tls;
        if (l.transport == Transport::Tls) {
          if (!realm.tls) {
            return Error{ErrorCode::InvalidArgument, "realm " + realm.name +
                                                         ": tls listener "
                                                         "without tls settings"};
          }
          auto ctx = makeServerTlsContext(*realm.tls);
          if (!ctx) {
            return Error{ErrorCode::Io, "realm " + realm.name + ": " + ctx.error().message};
          }
          tls = *ctx;
        }
        auto a = std::make_shared<StreamAcceptor>(*this, r, realm.dscp.signalling, tls);
        auto ok = a->bind(tcp::endpoint(addr, l.port));
        if (!ok) {
          return Error{ErrorCode::Io, "realm " + realm.name + ": " + ok.error().message};
        }
        a->accept();
        streams_.push_back(std::move(a));
      } else if (l.transport == Transport::Wss) {
        auto ok = startWss(r, l);
        if (!ok) {
          return ok;
        }
      }
    }
  }
  return {};
}

Result<void> TransportLayer::startWss(uint32_t realm, const platform::SignallingListener& l) {
  const platform::Realm& cfg = config_.realms[realm];
  if (!cfg.tls) {
    return Error{ErrorCode::InvalidArgument, "realm " + cfg.name + ": wss without tls settings"};
  }
  auto ctx = makeServerTlsContext(*cfg.tls);
  if (!ctx) {
    return Error{ErrorCode::Io, "realm " + cfg.name + ": " + ctx.error().message};
  }
  auto opts = wsListenerOptions(config_, realm, l);
  if (!opts) {
    return Error{opts.error().code, "realm " + cfg.name + ": " + opts.error().message};
  }
  opts->observer = observer_;
  auto listener = WssListener::create(io_, std::move(*opts), *ctx, connections_, *sink_, registry_);
  if (!listener) {
    return Error{ErrorCode::Io, "realm " + cfg.name + ": " + listener.error().message};
  }
  wss_.push_back(std::move(*listener));
  return {};
}

Result<void> TransportLayer::reloadSecurity(const platform::Config& next) {
  // Everything is built first, so a bad file or key changes nothing.
  std::vector<TlsContextPtr> realm_tls(next.realms.size());
  for (uint32_t r = 0; r < next.realms.size() && r < config_.realms.size(); ++r) {
    if (next.realms[r].tls) {
      auto ctx = makeServerTlsContext(*next.realms[r].tls);
      if (!ctx) {
        return Error{ctx.error().code,
                     "realms[" + std::to_string(r) + "].tls: " + ctx.error().message};
      }
      realm_tls[r] = *ctx;
    }
  }
  std::vector<WsListenerOptions> ws;
  for (auto& w : wss_) {
    uint32_t r = w->realmIndex();
    platform::SignallingListener l;  // its address is the listener's own (kept)
    l.transport = Transport::Wss;
    l.address.text = "0.0.0.0";
    auto opts = wsListenerOptions(next, r, l);
    if (!opts || !realm_tls[r]) {
      return Error{ErrorCode::InvalidArgument,
                   "realms[" + std::to_string(r) +
                       "]: " + (opts ? std::string("wss needs tls") : opts.error().message)};
    }
    ws.push_back(std::move(*opts));
  }
  for (std::size_t i = 0; i < wss_.size(); ++i) {
    wss_[i]->reload(std::move(ws[i]), realm_tls[wss_[i]->realmIndex()]);
  }
  for (auto& a : streams_) {
    if (a->isTls() && realm_tls[a->realm()]) {
      a->setTls(realm_tls[a->realm()]);
    }
  }
  for (auto& t : realm_tls) {
    if (t) {
      retired_tls_.push_back(t);  // kept: connections made with it may still use it
    }
  }
  return {};
}

void TransportLayer::stop() {
  for (auto& w : wss_) {
    w->stop();
  }
  wss_.clear();
  for (auto& s : udp_) {
    s->close();
  }
  for (auto& a : streams_) {
    a->close();
  }
  udp_.clear();
  streams_.clear();
}

std::vector<std::pair<int, uint32_t>> TransportLayer::udpSockets() const {
  std::vector<std::pair<int, uint32_t>> out;
  for (const auto& s : udp_) {
    out.emplace_back(s->fd(), s->realm());
  }
  return out;
}

std::optional<platform::SignallingListener> TransportLayer::listener(uint32_t realm,
                                                                     Transport transport) const {
  if (realm >= config_.realms.size()) {
    return std::nullopt;
  }
  for (const auto& l : config_.realms[realm].signalling) {
    if (l.transport == transport) {
      return l;
    }
  }
  return std::nullopt;
}

bool TransportLayer::send(const Destination& dst, std::string bytes) {
  if (dst.transport == Transport::Udp) {
    for (auto& s : udp_) {
      if (s->realm() == dst.realm && s->v6() == dst.address.is_v6()) {
        s->send(udp::endpoint(dst.address, dst.port), std::move(bytes));
        return true;
      }
    }
    countDrop("no_socket");
    return false;
  }
  std::shared_ptr<Connection> conn;
  if (dst.connection != 0) {
    conn = connections_.find(dst.connection);
  }
  if (!conn) {
    conn = connections_.findTo(dst.transport, dst.address, dst.port, dst.host);
  }
  if (!conn && (dst.transport == Transport::Tcp || dst.transport == Transport::Tls)) {
    conn = connect(dst);
  }
  if (!conn) {
    countDrop("connection_closed");
    return false;
  }
  conn->send(std::move(bytes));
  return true;
}

std::shared_ptr<Connection> TransportLayer::connect(const Destination& dst) {
  uint8_t dscp = dst.realm < config_.realms.size() ? config_.realms[dst.realm].dscp.signalling : 26;
  Peer peer{dst.transport, dst.address, dst.port, connections_.nextId(), dst.realm};
  if (dst.transport == Transport::Tcp) {
    auto c = std::make_shared<StreamConnection<tcp::socket>>(*this, tcp::socket(io_), peer, dscp);
    connections_.add(c);
    c->startConnect(nullptr);
    return c;
  }
  if (!client_tls_) {
    auto ctx = makeClientTlsContext(client_tls_options_);
    if (!ctx) {
      RAMPART_LOG(platform::LogLevel::Warn, "transport", "outbound TLS unavailable: %s",
                  ctx.error().message.c_str());
      return nullptr;
    }
    client_tls_ = *ctx;
  }
  auto c = std::make_shared<StreamConnection<TlsStream>>(
      *this, TlsStream(tcp::socket(io_), *client_tls_), peer, dscp);
  connections_.add(c);
  c->startConnect(&client_tls_options_, dst.host);
  return c;
}

void TransportLayer::connectionOpened(uint32_t realm, Transport t) {
  if (realm < config_.realms.size()) {
    active_family_
        ->Add({{"realm", config_.realms[realm].name}, {"transport", platform::transportName(t)}})
        .Increment();
  }
}

void TransportLayer::connectionClosed(uint64_t id, uint32_t realm, Transport t) {
  if (realm < config_.realms.size()) {
    active_family_
        ->Add({{"realm", config_.realms[realm].name}, {"transport", platform::transportName(t)}})
        .Decrement();
  }
  // Keep the object alive until this call returns: the table may hold its last reference.
  auto keep = connections_.find(id);
  connections_.remove(id);
  sink_->onConnectionClosed(id);
}

void TransportLayer::countDrop(const char* reason) {
  drops_family_->Add({{"reason", reason}}).Increment();
}

void TransportLayer::countOversize() { oversize_->Increment(); }

}  // namespace rampart::cp
