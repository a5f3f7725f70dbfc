#include "transport/wss_listener.h"

#include "transport/lean_tls_stream.h"
#include "transport/transport_layer.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <deque>
#include <unordered_map>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <rampart/platform/log.h>

namespace rampart::cp {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using platform::LogLevel;

// --- metrics and the state every connection of a listener shares --------------------------------

struct WssListener::Shared {
  Shared(asio::io_context& io_context, WsListenerOptions opts, TlsContextPtr tls_context,
         ConnectionTable& connection_table, MessageSink& message_sink,
         prometheus::Registry& registry)
      : io(io_context),
        options(std::move(opts)),
        tls(std::move(tls_context)),
        table(connection_table),
        sink(message_sink),
        acceptor(io_context),
        retry_timer(io_context) {
    const std::string& realm = options.realm_name;
    active = &prometheus::BuildGauge()
                  .Name("rampart_cp_connections_active")
                  .Help("Open signalling stream connections")
                  .Register(registry)
                  .Add({{"realm", realm}, {"transport", "wss"}});
    auto& refused_family = prometheus::BuildCounter()
                               .Name("rampart_cp_connections_refused_total")
                               .Help("Signalling connections refused at set-up or closed by policy")
                               .Register(registry);
    for (std::size_t i = 0; i < kRefuseReasonCount; ++i) {
      refused[i] = &refused_family.Add(
          {{"realm", realm}, {"reason", refuseReasonName(static_cast<RefuseReason>(i))}});
    }
    auto& jwt_family = prometheus::BuildCounter()
                           .Name("rampart_cp_jwt_rejections_total")
                           .Help("Tokens refused at WebSocket upgrades, by reason")
                           .Register(registry);
    for (std::size_t i = 0; i < kJwtRejectCount; ++i) {
      jwt_rejected[i] =
          &jwt_family.Add({{"realm", realm}, {"reason", jwtRejectName(static_cast<JwtReject>(i))}});
    }
    turn_family = &prometheus::BuildCounter()
                       .Name("rampart_cp_turn_credential_requests_total")
                       .Help("TURN REST credential requests answered, by realm and HTTP status")
                       .Register(registry);
  }
  prometheus::Family<prometheus::Counter>* turn_family = nullptr;

  void countTurn(unsigned status) {
    turn_family->Add({{"realm", options.realm_name}, {"code", std::to_string(status)}}).Increment();
  }
  void countRefused(RefuseReason r) { refused[static_cast<std::size_t>(r)]->Increment(); }
  void countJwt(JwtReject r) { jwt_rejected[static_cast<std::size_t>(r)]->Increment(); }

  asio::io_context& io;
  WsListenerOptions options;
  TlsContextPtr tls;
  std::vector<TlsContextPtr> retired;  // certificates replaced by reloads
  ConnectionTable& table;
  MessageSink& sink;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;  // accept back-off after EMFILE and the like
  bool stopped = false;
  prometheus::Gauge* active = nullptr;
  std::array<prometheus::Counter*, kRefuseReasonCount> refused{};
  std::array<prometheus::Counter*, kJwtRejectCount> jwt_rejected{};
  // Every live connection of this listener, upgraded or not (for stop()).
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> live;
};

namespace {

using Shared = WssListener::Shared;

const char* errorText(const boost::system::error_code& ec) {
  static thread_local std::string text;
  text = ec.message();
  return text.c_str();
}

// Marks signalling for QoS: DSCP in the upper six bits of the TOS / traffic class byte.
void setDscp(tcp::socket& socket, uint8_t dscp) {
  int tos = dscp << 2;
  int fd = socket.native_handle();
  boost::system::error_code ec;
  tcp::endpoint local = socket.local_endpoint(ec);
  if (!ec && local.address().is_v6()) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
    // A v4-mapped peer on a dual-stack socket is sent IPv4 packets: mark those too.
  }
  setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
}

int64_t wallClockNow() { return static_cast<int64_t>(std::time(nullptr)); }

// One browser connection: TLS, upgrade, then SIP messages both ways.
class WsConnection : public Connection, public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(std::shared_ptr<Shared> shared, tcp::socket socket, uint64_t id, Peer peer)
      : shared_(std::move(shared)),
        ws_(std::move(socket), *shared_->tls),
        timer_(shared_->io),
        id_(id),
        peer_(std::move(peer)),
        request_buffer_(shared_->options.max_upgrade_request_bytes) {}

  uint64_t id() const override { return id_; }
  const Peer& peer() const override { return peer_; }
  const ConnectionAuth* auth() const override { return auth_ ? &*auth_ : nullptr; }

  void send(std::string bytes) override {
    if (state_ != State::Open) {
      return;  // closing or closed: the SIP layer's retransmissions or timeouts take over
    }
    if (queued_bytes_ + bytes.size() > shared_->options.max_send_queue_bytes) {
      RAMPART_LOG_RATELIMITED(LogLevel::Warn, "wss", 10,
                              "connection %llu (%s): send queue over %zu bytes, closing",
                              static_cast<unsigned long long>(id_), remote().c_str(),
                              shared_->options.max_send_queue_bytes);
      shared_->countRefused(RefuseReason::SendQueue);
      closeWith(websocket::close_code::policy_error, "send queue full");
      return;
    }
    queued_bytes_ += bytes.size();
    send_queue_.push_back(std::move(bytes));
    if (!writing_) {
      writeNext();
    }
  }

  void close() override { closeWith(websocket::close_code::normal, "closed"); }

  void start() {
    started_ = Clock::now();
    armTimer();
    auto self = shared_from_this();
    ws_.next_layer().async_handshake(
        asio::ssl::stream_base::server,
        [self](const boost::system::error_code& ec) { self->onTlsHandshake(ec); });
  }

 private:
  enum class State { Handshake, Open, Closing, Closed };
  using Stream = websocket::stream<LeanTlsStream>;  // not asio::ssl::stream: see lean_tls_stream.h

  std::string remote() const {
    return peer_.address.to_string() + ":" + std::to_string(peer_.port);
  }

  // --- set-up ----------------------------------------------------------------------------

  void onTlsHandshake(const boost::system::error_code& ec) {
    if (state_ != State::Handshake) {
      return;
    }
    if (ec) {
      if (!timed_out_) {
        shared_->countRefused(RefuseReason::TlsHandshake);
        RAMPART_LOG_RATELIMITED(LogLevel::Info, "wss", 10, "%s: TLS handshake failed: %s",
                                remote().c_str(), errorText(ec));
      }
      finish();
      return;
    }
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->options.max_upgrade_request_bytes));
    parser_->body_limit(0);
    auto self = shared_from_this();
    http::async_read(
        ws_.next_layer(), request_buffer_, *parser_,
        [self](const boost::system::error_code& e, std::size_t) { self->onUpgradeRequest(e); });
  }

  void onUpgradeRequest(const boost::system::error_code& ec) {
    if (state_ != State::Handshake) {
      return;
    }
    if (ec) {
      if (!timed_out_) {
        shared_->countRefused(RefuseReason::BadRequest);
        RAMPART_LOG_RATELIMITED(LogLevel::Info, "wss", 10, "%s: bad upgrade request: %s",
                                remote().c_str(), errorText(ec));
        if (ec == http::error::header_limit || ec == http::error::body_limit) {
          refuse(431, "request too large");
          return;
        }
      }
      finish();
      return;
    }
    const http::request<http::empty_body>& req = parser_->get();
    UpgradeRequest view;
    view.is_websocket_upgrade = websocket::is_upgrade(req);
    auto field = [&](http::field f) -> std::optional<std::string_view> {
      auto it = req.find(f);
      if (it == req.end()) {
        return std::nullopt;
      }
      return std::string_view(it->value().data(), it->value().size());
    };
    view.origin = field(http::field::origin);
    view.authorization = field(http::field::authorization);
    view.target = std::string_view(req.target().data(), req.target().size());
    view.subprotocols = field(http::field::sec_websocket_protocol).value_or("");
    if (shared_->options.turn && !view.is_websocket_upgrade &&
        isTurnRequest(*shared_->options.turn, view.target)) {
      TurnRequest t{std::string_view(req.method_string().data(), req.method_string().size()),
                    view.origin, view.authorization, view.target,
                    field(http::field::access_control_request_method)};
      answerHttp(answerTurn(*shared_->options.turn, shared_->options.access, t, wallClockNow()));
      return;
    }
    UpgradeDecision d = decideUpgrade(shared_->options.access, view, wallClockNow());
    if (d.status != 101) {
      shared_->countRefused(*d.refused);
      if (d.jwt_reject) {
        shared_->countJwt(*d.jwt_reject);
        if (shared_->options.observer != nullptr) {
          shared_->options.observer->onBadToken(peer_.address, peer_.realm);
        }
      }
      RAMPART_LOG_RATELIMITED(LogLevel::Info, "wss", 10, "%s: upgrade refused (%u %s): %s",
                              remote().c_str(), d.status, refuseReasonName(*d.refused),
                              d.detail.c_str());
      refuse(d.status, refuseReasonName(*d.refused));
      return;
    }
    auth_ = std::move(d.auth);
    ws_.set_option(websocket::stream_base::timeout{websocket::stream_base::none(),
                                                   websocket::stream_base::none(), false});
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::sec_websocket_protocol, "sip");
      res.set(http::field::server, "rampart");
    }));
    ws_.read_message_max(0);  // no Beast limit: readNext() enforces max_message_bytes
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong) {
        awaiting_pong_ = false;
      }
    });
    auto self = shared_from_this();
    ws_.async_accept(req, [self](const boost::system::error_code& e) { self->onAccepted(e); });
  }

  // A plain HTTPS answer (TURN credentials), then the connection closes like a refusal.
  void answerHttp(const HttpAnswer& a) {
    shared_->countTurn(a.status);
    if (a.status >= 400) {
      RAMPART_LOG_RATELIMITED(LogLevel::Info, "wss", 10, "%s: TURN credentials refused (%u): %s",
                              remote().c_str(), a.status, a.detail.c_str());
    }
    response_.emplace(static_cast<http::status>(a.status), 11);
    response_->set(http::field::server, "rampart");
    if (!a.body.empty()) {
      response_->set(http::field::content_type, "application/json");
    }
    for (const auto& [k, v] : a.headers) {
      response_->set(k, v);
    }
    response_->body() = a.body;
    sendAndClose();
  }

  // Answers the upgrade request with an error status and closes.
  void refuse(unsigned status, const char* why) {
    response_.emplace(static_cast<http::status>(status), 11);
    response_->set(http::field::server, "rampart");
    response_->set(http::field::content_type, "text/plain");
    response_->set(http::field::connection, "close");
    if (status == 401) {
      response_->set(http::field::www_authenticate, "Bearer realm=\"rampart\"");
    }
    response_->body() = std::string(why) + "\n";
    sendAndClose();
  }

  void sendAndClose() {
    response_->keep_alive(false);
    response_->prepare_payload();
    state_ = State::Closing;
    closing_since_ = Clock::now();
    armTimer();
    auto self = shared_from_this();
    http::async_write(ws_.next_layer(), *response_,
                      [self](const boost::system::error_code& e, std::size_t) {
                        if (e) {
                          self->finish();
                          return;
                        }
                        self->ws_.next_layer().async_shutdown(
                            [self](const boost::system::error_code&) { self->finish(); });
                      });
  }

  void onAccepted(const boost::system::error_code& ec) {
    if (state_ != State::Handshake) {
      return;
    }
    if (ec) {
      if (!timed_out_) {
        shared_->countRefused(RefuseReason::BadRequest);
        RAMPART_LOG_RATELIMITED(LogLevel::Info, "wss", 10, "%s: WebSocket accept failed: %s",
                                remote().c_str(), errorText(ec));
      }
      finish();
      return;
    }
    state_ = State::Open;
    parser_.reset();
    request_buffer_.clear();
    request_buffer_.shrink_to_fit();
    last_message_ = Clock::now();
    last_ping_ = last_message_;
    tokens_ = shared_->options.max_messages_per_second;
    last_refill_ = last_message_;
    shared_->table.add(shared_from_this());
    in_table_ = true;
    shared_->active->Increment();
    RAMPART_LOG(LogLevel::Debug, "wss", "connection %llu from %s upgraded%s%s",
                static_cast<unsigned long long>(id_), remote().c_str(), auth_ ? " as " : "",
                auth_ ? auth_->subject.c_str() : "");
    armTimer();
    readNext();
  }

  // --- messages --------------------------------------------------------------------------

  // Reads the next message piecewise, so a message over the limit is caught after at most
  // max_message_bytes + 1 bytes whatever its frame headers announce, and closed with 1009
  // by us (Beast's own limit would fail the connection without telling us why).
  void readNext() {
    std::size_t max = shared_->options.max_message_bytes;
    std::size_t room = max + 1 - std::min(read_buffer_.size(), max);
    auto self = shared_from_this();
    ws_.async_read_some(
        read_buffer_, room,
        [self](const boost::system::error_code& ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(const boost::system::error_code& ec) {
    if (ec) {
      finish();
      return;
    }
    if (state_ != State::Open) {
      return;  // closing: async_close drains what is left
    }
    if (read_buffer_.size() > shared_->options.max_message_bytes) {
      shared_->countRefused(RefuseReason::Oversize);
      RAMPART_LOG_RATELIMITED(LogLevel::Info, "wss", 10,
                              "connection %llu (%s): message over %zu bytes, closing (1009)",
                              static_cast<unsigned long long>(id_), remote().c_str(),
                              shared_->options.max_message_bytes);
      read_buffer_.clear();
      closeWith(websocket::close_code::too_big, "message too big");
      return;
    }
    if (!ws_.is_message_done()) {
      readNext();
      return;
    }
    Clock::time_point now = Clock::now();
    if (!takeToken(now)) {
      shared_->countRefused(RefuseReason::Rate);
      RAMPART_LOG_RATELIMITED(LogLevel::Info, "wss", 10,
                              "connection %llu (%s): over %u messages/s, closing (1008)",
                              static_cast<unsigned long long>(id_), remote().c_str(),
                              shared_->options.max_messages_per_second);
      read_buffer_.clear();
      closeWith(websocket::close_code::policy_error, "message rate");
      return;
    }
    last_message_ = now;
    std::string bytes = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.clear();
    // Keep reading before the sink runs: it may close this connection.
    readNext();
    shared_->sink.onMessage(peer_, std::move(bytes));
  }

  // Token bucket: max_messages_per_second tokens, refilled continuously, burst of the same.
  bool takeToken(Clock::time_point now) {
    double rate = shared_->options.max_messages_per_second;
    double elapsed = std::chrono::duration<double>(now - last_refill_).count();
    last_refill_ = now;
    tokens_ = std::min(rate, tokens_ + elapsed * rate);
    if (tokens_ < 1.0) {
      return false;
    }
    tokens_ -= 1.0;
    return true;
  }

  void writeNext() {
    if (send_queue_.empty() || state_ != State::Open) {
      writing_ = false;
      return;
    }
    writing_ = true;
    ws_.text(true);
    auto self = shared_from_this();
    ws_.async_write(asio::buffer(send_queue_.front()), [self](const boost::system::error_code& ec,
                                                              std::size_t) { self->onWrite(ec); });
  }

  void onWrite(const boost::system::error_code& ec) {
    writing_ = false;
    if (!send_queue_.empty()) {
      queued_bytes_ -= send_queue_.front().size();
      send_queue_.pop_front();
    }
    if (ec) {
      finish();
      return;
    }
    writeNext();
  }

  // --- closing and timers ----------------------------------------------------------------

  // Starts the closing handshake; the close timeout ends it if the peer does not answer.
  void closeWith(websocket::close_code code, const char* why) {
    if (state_ == State::Handshake) {
      finish();
      return;
    }
    if (state_ != State::Open) {
      return;
    }
    state_ = State::Closing;
    closing_since_ = Clock::now();
    dropQueued();
    armTimer();
    auto self = shared_from_this();
    ws_.async_close(websocket::close_reason(code, why),
                    [self](const boost::system::error_code&) { self->finish(); });
  }

  // One timer serves every deadline: handshake, idle, ping due, pong due, close.
  void armTimer() {
    if (state_ == State::Closed) {
      return;
    }
    const WsListenerOptions& o = shared_->options;
    Clock::time_point at;
    switch (state_) {
      case State::Handshake: at = started_ + o.handshake_timeout; break;
      case State::Open:
        at = std::min(last_message_ + o.idle_timeout, last_ping_ + o.ping_interval);
        break;
      case State::Closing: at = closing_since_ + o.close_timeout; break;
      case State::Closed: return;
    }
    timer_.expires_at(at);
    std::weak_ptr<WsConnection> weak = weak_from_this();
    timer_.async_wait([weak](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec) {
        self->onTimer();
      }
    });
  }

  void onTimer() {
    Clock::time_point now = Clock::now();
    const WsListenerOptions& o = shared_->options;
    switch (state_) {
      case State::Handshake:
        if (now >= started_ + o.handshake_timeout) {
          timed_out_ = true;
          shared_->countRefused(RefuseReason::HandshakeTimeout);
          RAMPART_LOG_RATELIMITED(LogLevel::Info, "wss", 10, "%s: no upgrade within %lld ms",
                                  remote().c_str(),
                                  static_cast<long long>(o.handshake_timeout.count()));
          finish();
          return;
        }
        break;
      case State::Open:
        if (now >= last_message_ + o.idle_timeout) {
          shared_->countRefused(RefuseReason::Idle);
          closeWith(websocket::close_code::going_away, "idle");
          return;
        }
        if (now >= last_ping_ + o.ping_interval) {
          if (awaiting_pong_) {
            shared_->countRefused(RefuseReason::PingTimeout);
            closeWith(websocket::close_code::going_away, "no pong");
            return;
          }
          sendPing(now);
        }
        break;
      case State::Closing:
        if (now >= closing_since_ + o.close_timeout) {
          finish();
          return;
        }
        break;
      case State::Closed: return;
    }
    armTimer();
  }

  void sendPing(Clock::time_point now) {
    last_ping_ = now;
    awaiting_pong_ = true;
    if (ping_in_flight_) {
      return;  // the previous ping frame is still queued: the peer is not reading
    }
    ping_in_flight_ = true;
    auto self = shared_from_this();
    ws_.async_ping({}, [self](const boost::system::error_code& ec) {
      self->ping_in_flight_ = false;
      if (ec) {
        self->finish();
      }
    });
  }

  // Forgets unsent messages, except the one a pending write still points into.
  void dropQueued() {
    while (send_queue_.size() > (writing_ ? 1u : 0u)) {
      send_queue_.pop_back();
    }
    queued_bytes_ = send_queue_.empty() ? 0 : send_queue_.front().size();
  }

  // The end, whatever the cause; runs its effects once.
  void finish() {
    if (state_ == State::Closed) {
      return;
    }
    state_ = State::Closed;
    timer_.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
    dropQueued();
    shared_->live.erase(id_);
    if (shared_->options.observer != nullptr) {
      shared_->options.observer->connectionEnded(peer_.address);
    }
    if (in_table_) {
      in_table_ = false;
      shared_->active->Decrement();
      shared_->table.remove(id_);
      shared_->sink.onConnectionClosed(id_);
    }
  }

  std::shared_ptr<Shared> shared_;
  Stream ws_;
  asio::steady_timer timer_;
  uint64_t id_;
  Peer peer_;
  State state_ = State::Handshake;
  bool timed_out_ = false;
  bool in_table_ = false;
  std::optional<ConnectionAuth> auth_;
  // set-up
  Clock::time_point started_;
  beast::flat_buffer request_buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  // open
  beast::flat_buffer read_buffer_;
  std::deque<std::string> send_queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  Clock::time_point last_message_;
  Clock::time_point last_ping_;
  bool awaiting_pong_ = false;
  bool ping_in_flight_ = false;
  double tokens_ = 0;
  Clock::time_point last_refill_;
  Clock::time_point closing_since_;
};

void acceptNext(const std::shared_ptr<Shared>& shared);

void onAccept(const std::shared_ptr<Shared>& shared, const boost::system::error_code& ec,
              tcp::socket socket) {
  if (shared->stopped || ec == asio::error::operation_aborted) {
    return;
  }
  if (ec) {
    // Out of descriptors or the like: back off instead of spinning on the error.
    RAMPART_LOG_RATELIMITED(LogLevel::Warn, "wss", 1, "accept on port %u failed: %s",
                            shared->options.endpoint.port(), errorText(ec));
    shared->retry_timer.expires_after(std::chrono::milliseconds(100));
    shared->retry_timer.async_wait([shared](const boost::system::error_code& e) {
      if (!e) {
        acceptNext(shared);
      }
    });
    return;
  }
  boost::system::error_code peer_ec;
  tcp::endpoint remote = socket.remote_endpoint(peer_ec);
  if (!peer_ec) {
    setDscp(socket, shared->options.dscp);
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    SourceObserver* gate = shared->options.observer;
    if (gate != nullptr &&
        !gate->admitConnection(remote.address(), shared->options.realm_index, Transport::Wss)) {
      acceptNext(shared);  // the socket closes here, before any TLS work
      return;
    }
    Peer peer;
    peer.transport = Transport::Wss;
    peer.address = remote.address();
    peer.port = remote.port();
    peer.connection = shared->table.nextId();
    peer.realm = shared->options.realm_index;
    uint64_t id = peer.connection;
    auto c = std::make_shared<WsConnection>(shared, std::move(socket), id, std::move(peer));
    shared->live[id] = c;
    c->start();
  }
  acceptNext(shared);
}

void acceptNext(const std::shared_ptr<Shared>& shared) {
  shared->acceptor.async_accept([shared](const boost::system::error_code& ec, tcp::socket socket) {
    onAccept(shared, ec, std::move(socket));
  });
}

}  // namespace

Result<WsListenerOptions> wsListenerOptions(const platform::Config& config, uint32_t realm_index,
                                            const platform::SignallingListener& listener) {
  if (realm_index >= config.realms.size()) {
    return Error(ErrorCode::InvalidArgument, "no realm " + std::to_string(realm_index));
  }
  const platform::Realm& realm = config.realms[realm_index];
  WsListenerOptions o;
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(listener.address.text, ec);
  if (ec) {
    return Error(ErrorCode::InvalidArgument, "bad listener address " + listener.address.text);
  }
  o.endpoint = tcp::endpoint(address, listener.port);
  o.realm_index = realm_index;
  o.realm_name = realm.name;
  o.dscp = realm.dscp.signalling;
  const platform::WebSocketSettings& ws = realm.websocket;
  o.max_message_bytes = ws.max_message_bytes;
  o.max_messages_per_second = ws.max_messages_per_second;
  o.idle_timeout = std::chrono::seconds(ws.idle_timeout_s);
  o.ping_interval = std::chrono::seconds(ws.ping_interval_s);
  o.handshake_timeout = std::chrono::seconds(ws.handshake_timeout_s);
  // A peer that may send max_message_bytes must be able to receive a few of that size.
  o.max_send_queue_bytes = std::max<std::size_t>(1u << 20, 16 * o.max_message_bytes);
  Result<WsAccessPolicy> access = makeWsAccessPolicy(config, realm);
  if (!access) {
    return access.error();
  }
  o.access = std::move(*access);
  if (realm.turn) {
    Result<TurnOptions> turn = makeTurnOptions(*realm.turn);
    if (!turn) {
      return turn.error();
    }
    o.turn = std::move(*turn);
  }
  return o;
}

WssListener::WssListener(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

WssListener::~WssListener() { stop(); }

Result<std::unique_ptr<WssListener>> WssListener::create(asio::io_context& io,
                                                         WsListenerOptions options,
                                                         TlsContextPtr tls, ConnectionTable& table,
                                                         MessageSink& sink,
                                                         prometheus::Registry& registry) {
  if (!tls) {
    return Error(ErrorCode::InvalidArgument, "wss listener needs a TLS context");
  }
  auto shared =
      std::make_shared<Shared>(io, std::move(options), std::move(tls), table, sink, registry);
  const tcp::endpoint& ep = shared->options.endpoint;
  std::string where = ep.address().to_string() + ":" + std::to_string(ep.port());
  boost::system::error_code ec;
  shared->acceptor.open(ep.protocol(), ec);
  if (!ec) {
    shared->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec && ep.address().is_v6()) {
    // "::" serves IPv6 only; IPv4 needs its own listener (as in the config file).
    shared->acceptor.set_option(asio::ip::v6_only(true), ec);
  }
  if (!ec) {
    shared->acceptor.bind(ep, ec);
  }
  if (!ec) {
    // On the listening socket too, so the SYN-ACK already carries the signalling DSCP.
    setSignallingDscp(shared->acceptor.native_handle(), ep.address().is_v6(), shared->options.dscp);
    shared->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Error(ErrorCode::Unavailable, "cannot listen for wss on " + where + ": " + ec.message());
  }
  acceptNext(shared);
  RAMPART_LOG(LogLevel::Info, "wss", "realm %s: listening for wss on %s",
              shared->options.realm_name.c_str(), where.c_str());
  return std::unique_ptr<WssListener>(new WssListener(std::move(shared)));
}

uint16_t WssListener::port() const {
  boost::system::error_code ec;
  return shared_->acceptor.local_endpoint(ec).port();
}

uint32_t WssListener::realmIndex() const { return shared_->options.realm_index; }

void WssListener::reload(WsListenerOptions options, TlsContextPtr tls) {
  WsListenerOptions& o = shared_->options;
  options.endpoint = o.endpoint;
  options.realm_index = o.realm_index;
  options.realm_name = o.realm_name;
  options.dscp = o.dscp;
  o = std::move(options);
  shared_->retired.push_back(shared_->tls);  // open connections were made with it
  shared_->tls = std::move(tls);
}

void WssListener::stop() {
  if (shared_->stopped) {
    return;
  }
  shared_->stopped = true;
  boost::system::error_code ignored;
  shared_->acceptor.close(ignored);
  shared_->retry_timer.cancel();
  // Copy: closing a connection erases it from `live`.
  std::vector<std::shared_ptr<Connection>> open;
  for (auto& [id, weak] : shared_->live) {
    if (auto c = weak.lock()) {
      open.push_back(std::move(c));
    }
  }
  for (auto& c : open) {
    c->close();
  }
}

}  // namespace rampart::cp
