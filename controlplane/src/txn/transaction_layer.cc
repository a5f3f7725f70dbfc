#include "txn/transaction_layer.h"

#include <rampart/platform/log.h>

namespace rampart::cp {
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view kMagicCookie = "z9hG4bK";
constexpr std::size_t kUdpMtuLimit = 1300;  // 1500-byte path MTU minus 200 (RFC 3261 18.1.1)

enum class State { Trying, Proceeding, Completed, Confirmed, Accepted };

const char* viaTransport(Transport t) {
  switch (t) {
    case Transport::Udp: return "UDP";
    case Transport::Tcp: return "TCP";
    case Transport::Tls: return "TLS";
    case Transport::Ws: return "WS";
    case Transport::Wss: return "WSS";
  }
  return "UDP";
}

bool reliable(Transport t) { return t != Transport::Udp; }

const char* methodLabel(std::string_view m) {
  static constexpr const char* kKnown[] = {"INVITE",   "ACK",       "BYE",    "CANCEL", "OPTIONS",
                                           "REGISTER", "INFO",      "UPDATE", "PRACK",  "MESSAGE",
                                           "NOTIFY",   "SUBSCRIBE", "REFER"};
  for (const char* k : kKnown) {
    if (m == k) {
      return k;
    }
  }
  return "other";
}

const char* classLabel(int status) {
  static constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "6xx"};
  int c = status / 100;
  return c >= 1 && c <= 6 ? kClasses[c - 1] : "other";
}

std::string hostForVia(const platform::IpAddress& a) {
  return a.family == 6 ? "[" + a.text + "]" : a.text;
}

}  // namespace

struct TransactionLayer::ServerTxn {
  explicit ServerTxn(asio::io_context& io) : retransmit(io), timeout(io) {}
  std::string key;
  std::string dialog_key;  // call-id + cseq, while a 2xx waits for its ACK
  sip::Message request;
  Peer peer;
  bool invite = false;
  State state = State::Proceeding;
  int last_status = 0;
  std::string last_response;
  asio::steady_timer retransmit;
  asio::steady_timer timeout;
  milliseconds interval{0};
};

struct TransactionLayer::ClientTxn {
  explicit ClientTxn(asio::io_context& io) : retransmit(io), timeout(io) {}
  std::string key;
  sip::Message request;
  std::string bytes;
  Destination dst;
  ClientHandler handler;
  bool invite = false;
  State state = State::Trying;
  bool cancel_requested = false;
  bool cancel_sent = false;
  std::string ack_bytes;  // the ACK of a non-2xx final, re-sent on retransmissions
  asio::steady_timer retransmit;
  asio::steady_timer timeout;
};

TransactionLayer::TransactionLayer(asio::io_context& io, TransportLayer& transport,
                                   prometheus::Registry& registry, TxnTimers timers)
    : io_(io), transport_(transport), timers_(timers) {
  requests_ = &prometheus::BuildCounter()
                   .Name("rampart_cp_sip_requests_total")
                   .Help("SIP requests received, by method")
                   .Register(registry);
  responses_ = &prometheus::BuildCounter()
                    .Name("rampart_cp_sip_responses_total")
                    .Help("SIP responses by direction (in/out) and status class")
                    .Register(registry);
  auto& tx = prometheus::BuildCounter()
                 .Name("rampart_cp_sip_retransmissions_total")
                 .Help("SIP retransmissions: sent by us (sent) and received and absorbed")
                 .Register(registry);
  retransmissions_ = &tx.Add({{"direction", "sent"}});
  absorbed_ = &tx.Add({{"direction", "absorbed"}});
  malformed_ = &prometheus::BuildCounter()
                    .Name("rampart_cp_sip_malformed_total")
                    .Help(
                        "SIP messages refused as malformed: requests answered 400, others "
                        "dropped")
                    .Register(registry);
  stray_ = &prometheus::BuildCounter()
                .Name("rampart_cp_sip_stray_responses_total")
                .Help("Responses that matched no client transaction (dropped)")
                .Register(registry)
                .Add({});
  active_gauge_ = &prometheus::BuildGauge()
                       .Name("rampart_cp_transactions_active")
                       .Help("SIP transactions in progress (client and server)")
                       .Register(registry)
                       .Add({});
}

TransactionLayer::~TransactionLayer() = default;

prometheus::Counter* TransactionLayer::requestCounter(std::string_view method) {
  const char* label = methodLabel(method);
  auto it = request_counters_.find(label);
  if (it == request_counters_.end()) {
    it = request_counters_.emplace(label, &requests_->Add({{"method", label}})).first;
  }
  return it->second;
}

prometheus::Counter* TransactionLayer::responseCounter(bool out, int status) {
  int c = status / 100;
  c = c >= 1 && c <= 6 ? c : 0;
  prometheus::Counter*& slot = response_counters_[out ? 1 : 0][c];
  if (!slot) {
    slot = &responses_->Add({{"direction", out ? "out" : "in"}, {"class", classLabel(status)}});
  }
  return slot;
}

Destination TransactionLayer::responseDestination(const Peer& from) {
  return Destination{from.transport, from.address, from.port, from.connection, from.realm};
}

bool TransactionLayer::sendTo(const Destination& dst, const sip::Message& msg) {
  return transport_.send(dst, msg.serialize());
}

// --- receiving ------------------------------------------------------------------------------
void TransactionLayer::onMessage(const Peer& from, std::string bytes) {
  sip::Message partial;
  auto parsed = sip::Message::parse(bytes, &partial);
  if (!parsed) {
    rejectMalformed(from, partial, parsed.error(), bytes);
    return;
  }
  if (parsed->request) {
    onRequestMessage(from, std::move(*parsed));
  } else {
    onResponseMessage(from, std::move(*parsed));
  }
}

void TransactionLayer::rejectMalformed(const Peer& from, const sip::Message& partial,
                                       const Error& err, std::string_view bytes) {
  bool answerable = partial.request && !partial.vias.empty() && !partial.call_id.empty() &&
                    partial.method != "ACK";
  RAMPART_LOG(platform::LogLevel::Debug, "sip", "malformed message from %s:%u: %s",
              from.address.to_string().c_str(), from.port, err.message.c_str());
  if (!answerable) {
    // sofia-sip refused it whole: answer from the raw lines when they allow it.
    auto raw = sip::rawErrorResponse(bytes, sip::randomToken(10), err.message);
    malformed_->Add({{"action", raw ? "rejected" : "dropped"}}).Increment();
    if (raw) {
      responseCounter(true, 400)->Increment();
      transport_.send(responseDestination(from), std::move(*raw));
    }
    return;
  }
  malformed_->Add({{"action", "rejected"}}).Increment();
  int status = err.code == ErrorCode::Unsupported ? 505 : 400;
  auto resp =
      sip::makeResponse(partial, status, status == 400 ? err.message : "", sip::randomToken(10));
  responseCounter(true, status)->Increment();
  sendTo(responseDestination(from), resp);
}

void TransactionLayer::onRequestMessage(const Peer& from, sip::Message msg) {
  requestCounter(msg.method)->Increment();
  sip::Via& top = msg.vias.front();
  // RFC 3261 18.2.1 and RFC 3581: remember where the request really came from.
  std::string src = from.address.to_string();
  if (top.host != src && top.host != "[" + src + "]") {
    top.params += ";received=" + src;
  }
  if (top.rport) {
    std::string p = top.params;
    auto pos = p.find(";rport");
    if (pos != std::string::npos && (pos + 6 == p.size() || p[pos + 6] == ';')) {
      p.insert(pos + 6, "=" + std::to_string(from.port));
      top.params = p;
    }
  }
  std::string method_key = msg.method == "ACK" ? "INVITE" : msg.method;
  std::string key =
      top.branch.rfind(kMagicCookie, 0) == 0
          ? top.branch + "|" + top.host + ":" + std::to_string(top.port) + "|" + method_key
          : msg.call_id + "|" + std::to_string(msg.cseq) + "|" + msg.from.tag + "|" + top.branch +
                "|" + method_key;

  if (msg.method == "ACK") {
    auto it = server_by_key_.find(key);
    if (it != server_by_key_.end()) {
      ServerTxn& t = *server_.at(it->second);
      if (t.state == State::Completed) {  // ACK of our non-2xx final
        t.state = State::Confirmed;
        t.retransmit.cancel();
        uint64_t id = it->second;
        t.timeout.expires_after(reliable(t.peer.transport) ? milliseconds(0) : timers_.t4);
        t.timeout.async_wait([this, id](boost::system::error_code ec) {
          if (!ec) {
            eraseServer(id);
          }
        });
        return;
      }
      if (t.state == State::Confirmed) {
        absorbed_->Increment();
        return;
      }
    }
    auto acc = accepted_by_dialog_.find(msg.call_id + "|" + std::to_string(msg.cseq));
    if (acc != accepted_by_dialog_.end()) {
      uint64_t id = acc->second;
      accepted_by_dialog_.erase(acc);
      auto st = server_.find(id);
      if (st != server_.end()) {
        st->second->retransmit.cancel();
        st->second->dialog_key.clear();
      }
    }
    if (user_) {
      user_->onAck(msg, from);
    }
    return;
  }

  if (auto it = server_by_key_.find(key); it != server_by_key_.end()) {
    ServerTxn& t = *server_.at(it->second);
    absorbed_->Increment();
    if (!t.last_response.empty()) {
      transport_.send(responseDestination(t.peer), t.last_response);
    }
    return;
  }
  // A request carrying one of our own branches has come back to us: a routing loop (a route
  // that points at ourselves, or two SBCs pointing at each other).
  for (std::size_t i = 1; i < msg.vias.size(); ++i) {
    if (client_by_branch_.count(msg.vias[i].branch + "|" + method_key) != 0) {
      sendTo(responseDestination(from), sip::makeResponse(msg, 482, "", sip::randomToken(10)));
      return;
    }
  }
  if (msg.max_forwards && *msg.max_forwards == 0 && msg.method != "CANCEL") {
    auto resp = sip::makeResponse(msg, 483, "", sip::randomToken(10));
    sendTo(responseDestination(from), resp);
    return;
  }

  uint64_t id = ++next_id_;
  auto t = std::make_unique<ServerTxn>(io_);
  t->key = key;
  t->request = std::move(msg);
  t->peer = from;
  t->invite = t->request.method == "INVITE";
  server_by_key_[key] = id;
  ServerTxn& ref = *t;
  server_[id] = std::move(t);
  active_gauge_->Set(static_cast<double>(active()));

  if (ref.request.method == "CANCEL") {
    std::string invite_key = key.substr(0, key.rfind('|')) + "|INVITE";
    auto inv = server_by_key_.find(invite_key);
    bool pending = inv != server_by_key_.end() && server_.at(inv->second)->last_status < 200;
    respond(id, sip::makeResponse(ref.request, pending ? 200 : 481, "", sip::randomToken(10)));
    if (pending && user_) {
      user_->onCancel(inv->second);
    }
    return;
  }
  if (ref.invite) {
    // Stop the caller's INVITE retransmissions at once (RFC 3261 17.2.1).
    respond(id, sip::makeResponse(ref.request, 100, ""));
  }
  if (user_) {
    user_->onRequest(id, ref.request, from);
  }
}

void TransactionLayer::onResponseMessage(const Peer& from, sip::Message msg) {
  (void)from;
  responseCounter(false, msg.status)->Increment();
  auto it = client_by_branch_.find(msg.vias.front().branch + "|" + msg.cseq_method);
  if (it == client_by_branch_.end()) {
    stray_->Increment();
    return;
  }
  uint64_t id = it->second;
  ClientTxn& t = *client_.at(id);
  ClientEvent ev;
  ev.response = &msg;
  if (msg.status < 200) {
    if (t.state == State::Completed || t.state == State::Accepted) {
      return;
    }
    t.state = State::Proceeding;
    if (t.invite) {
      t.retransmit.cancel();
      if (t.cancel_requested && !t.cancel_sent) {
        sendCancel(t);
      }
    }
    t.handler(ev);
    return;
  }
  if (t.invite && msg.status < 300) {
    ev.retransmission = t.state == State::Accepted;
    if (!ev.retransmission) {
      t.state = State::Accepted;
      t.retransmit.cancel();
      // RFC 6026: keep matching 2xx retransmissions for 64*T1 so the caller re-ACKs them.
      finishClient(id, 64 * timers_.t1);
    }
    t.handler(ev);
    return;
  }
  if (t.state == State::Completed) {
    absorbed_->Increment();
    if (!t.ack_bytes.empty()) {
      transport_.send(t.dst, t.ack_bytes);
    }
    return;
  }
  if (t.state == State::Accepted) {
    return;
  }
  t.state = State::Completed;
  t.retransmit.cancel();
  if (t.invite) {
    // RFC 3261 17.1.1.3: the ACK of a non-2xx final is part of the INVITE transaction.
    sip::Message ack;
    ack.method = "ACK";
    ack.request_uri = t.request.request_uri;
    ack.vias = {t.request.vias.front()};
    ack.max_forwards = 70;
    ack.from = t.request.from;
    ack.to = msg.to;
    ack.call_id = t.request.call_id;
    ack.cseq = t.request.cseq;
    ack.cseq_method = "ACK";
    ack.route = t.request.route;
    t.ack_bytes = ack.serialize();
    transport_.send(t.dst, t.ack_bytes);
  }
  milliseconds linger =
      reliable(t.dst.transport) ? milliseconds(0) : (t.invite ? 64 * timers_.t1 : timers_.t4);
  finishClient(id, linger);
  t.handler(ev);
}

void TransactionLayer::onConnectionClosed(uint64_t connection) {
  if (user_) {
    user_->onConnectionClosed(connection);
  }
}

// --- server side ----------------------------------------------------------------------------
void TransactionLayer::respond(uint64_t id, sip::Message response) {
  auto it = server_.find(id);
  if (it == server_.end()) {
    stray_->Increment();
    return;
  }
  ServerTxn& t = *it->second;
  if (t.last_status >= 200) {
    return;  // one final response per transaction
  }
  responseCounter(true, response.status)->Increment();
  t.last_status = response.status;
  t.last_response = response.serialize();
  transport_.send(responseDestination(t.peer), t.last_response);
  if (response.status < 200) {
    return;
  }
  if (observer_ != nullptr) {
    observer_->onFinalResponse(t.peer, t.request, response.status);
  }
  if (t.invite && response.status < 300) {
    t.state = State::Accepted;
    t.dialog_key = t.request.call_id + "|" + std::to_string(t.request.cseq);
    accepted_by_dialog_[t.dialog_key] = id;
  } else {
    t.state = State::Completed;
  }
  // Lingering for retransmissions needs the key and the last response only: a soak keeps
  // thousands of transactions in this state (64*T1 each).
  t.request = sip::Message{};
  armServerTimers(id, t);
}

void TransactionLayer::armServerTimers(uint64_t id, ServerTxn& t) {
  bool udp = !reliable(t.peer.transport);
  bool waits_for_ack = t.invite;
  if (udp && waits_for_ack) {
    t.interval = timers_.t1;
    sendServerResponse(id);
  }
  milliseconds life = waits_for_ack || udp ? 64 * timers_.t1 : milliseconds(0);
  t.timeout.expires_after(life);
  t.timeout.async_wait([this, id](boost::system::error_code ec) {
    if (!ec) {
      eraseServer(id);
    }
  });
}

// Timer G: the final response of an INVITE is repeated until its ACK arrives.
void TransactionLayer::sendServerResponse(uint64_t id) {
  ServerTxn& t = *server_.at(id);
  t.retransmit.expires_after(t.interval);
  t.retransmit.async_wait([this, id](boost::system::error_code ec) {
    auto it = server_.find(id);
    if (ec || it == server_.end()) {
      return;
    }
    ServerTxn& s = *it->second;
    bool waiting =
        s.state == State::Completed || (s.state == State::Accepted && !s.dialog_key.empty());
    if (!waiting) {
      return;
    }
    retransmissions_->Increment();
    transport_.send(responseDestination(s.peer), s.last_response);
    s.interval = std::min(s.interval * 2, timers_.t2);
    sendServerResponse(id);
  });
}

void TransactionLayer::eraseServer(uint64_t id) {
  auto it = server_.find(id);
  if (it == server_.end()) {
    return;
  }
  ServerTxn& t = *it->second;
  if (!t.dialog_key.empty()) {
    accepted_by_dialog_.erase(t.dialog_key);
  }
  server_by_key_.erase(t.key);
  server_.erase(it);
  active_gauge_->Set(static_cast<double>(active()));
}

const sip::Message* TransactionLayer::request(uint64_t txn) const {
  auto it = server_.find(txn);
  return it == server_.end() || it->second->last_status >= 200 ? nullptr : &it->second->request;
}

const Peer* TransactionLayer::peerOf(uint64_t txn) const {
  auto it = server_.find(txn);
  return it == server_.end() ? nullptr : &it->second->peer;
}

// --- client side ----------------------------------------------------------------------------
void TransactionLayer::addViaFor(sip::Message& request, const Destination& dst) {
  sip::Via via;
  via.transport = viaTransport(dst.transport);
  auto l = transport_.listener(dst.realm, dst.transport);
  if (!l && dst.transport == Transport::Tcp) {
    l = transport_.listener(dst.realm, Transport::Udp);
  }
  if (l) {
    via.host = hostForVia(l->address);
    via.port = l->port;
  } else {
    via.host = "invalid.invalid";
  }
  via.branch = std::string(kMagicCookie) + sip::randomToken(16);
  via.params = ";branch=" + via.branch + ";rport";
  via.rport = true;
  request.vias.insert(request.vias.begin(), std::move(via));
}

uint64_t TransactionLayer::sendRequest(sip::Message request, const Destination& target,
                                       ClientHandler handler) {
  uint64_t id = ++next_id_;
  Destination dst = target;
  // RFC 3261 18.1.1: a request within 200 bytes of the path MTU goes over TCP when we can.
  if (dst.transport == Transport::Udp && dst.connection == 0 &&
      request.serialize().size() > kUdpMtuLimit && transport_.listener(dst.realm, Transport::Tcp)) {
    dst.transport = Transport::Tcp;
  }
  addViaFor(request, dst);
  if (!request.max_forwards) {
    request.max_forwards = 70;
  }
  auto t = std::make_unique<ClientTxn>(io_);
  t->invite = request.method == "INVITE";
  t->key = request.vias.front().branch + "|" + request.method;
  t->request = std::move(request);
  t->bytes = t->request.serialize();
  t->dst = dst;
  t->handler = std::move(handler);
  client_by_branch_[t->key] = id;
  client_[id] = std::move(t);
  active_gauge_->Set(static_cast<double>(active()));
  startClient(id);
  return id;
}

void TransactionLayer::startClient(uint64_t id) {
  ClientTxn& t = *client_.at(id);
  if (!transport_.send(t.dst, t.bytes)) {
    Error err{ErrorCode::Unavailable, "transport error"};
    ClientEvent ev;
    ev.error = &err;
    auto handler = t.handler;
    t.state = State::Completed;
    finishClient(id, milliseconds(0));
    handler(ev);
    return;
  }
  if (!reliable(t.dst.transport)) {
    retransmitClient(id, timers_.t1);
  }
  armClientTimeout(id);
}

// Timers B and F. Timer B only ends an INVITE still in Calling (RFC 3261 17.1.1.2): a ringing
// callee may take as long as the B2BUA's no-answer timer allows, so in Proceeding the timer is
// re-armed, until a CANCEL has gone unanswered for 64*T1 (RFC 3261 9.1).
void TransactionLayer::armClientTimeout(uint64_t id) {
  ClientTxn& t = *client_.at(id);
  t.timeout.expires_after(64 * timers_.t1);
  t.timeout.async_wait([this, id](boost::system::error_code ec) {
    auto it = client_.find(id);
    if (ec || it == client_.end()) {
      return;
    }
    ClientTxn& c = *it->second;
    if (c.state == State::Completed || c.state == State::Accepted) {
      return;
    }
    if (c.invite && c.state == State::Proceeding && !c.cancel_sent) {
      armClientTimeout(id);
      return;
    }
    Error err{ErrorCode::Timeout, "no final response"};
    ClientEvent ev;
    ev.error = &err;
    auto handler = c.handler;
    c.state = State::Completed;
    finishClient(id, milliseconds(0));
    handler(ev);
  });
}

// Timers A and E.
void TransactionLayer::retransmitClient(uint64_t id, milliseconds interval) {
  ClientTxn& t = *client_.at(id);
  t.retransmit.expires_after(interval);
  t.retransmit.async_wait([this, id, interval](boost::system::error_code ec) {
    auto it = client_.find(id);
    if (ec || it == client_.end()) {
      return;
    }
    ClientTxn& c = *it->second;
    bool again = c.state == State::Trying || (!c.invite && c.state == State::Proceeding);
    if (!again) {
      return;
    }
    retransmissions_->Increment();
    transport_.send(c.dst, c.bytes);
    milliseconds next = c.invite ? interval * 2 : std::min(interval * 2, timers_.t2);
    if (!c.invite && c.state == State::Proceeding) {
      next = timers_.t2;
    }
    retransmitClient(id, next);
  });
}

void TransactionLayer::finishClient(uint64_t id, milliseconds linger) {
  ClientTxn& t = *client_.at(id);
  // Only the key (and a non-2xx's ACK) matter while lingering.
  t.request = sip::Message{};
  std::string().swap(t.bytes);
  t.timeout.cancel();
  t.timeout.expires_after(linger);
  t.timeout.async_wait([this, id](boost::system::error_code ec) {
    if (ec) {
      return;
    }
    auto it = client_.find(id);
    if (it == client_.end()) {
      return;
    }
    client_by_branch_.erase(it->second->key);
    client_.erase(it);
    active_gauge_->Set(static_cast<double>(active()));
  });
}

void TransactionLayer::cancel(uint64_t invite_txn) {
  auto it = client_.find(invite_txn);
  if (it == client_.end() || !it->second->invite) {
    return;
  }
  ClientTxn& t = *it->second;
  if (t.state == State::Completed || t.state == State::Accepted || t.cancel_sent) {
    return;
  }
  t.cancel_requested = true;
  if (t.state == State::Proceeding) {
    sendCancel(t);
  }
}

void TransactionLayer::sendCancel(ClientTxn& invite) {
  invite.cancel_sent = true;
  sip::Message c;
  c.method = "CANCEL";
  c.request_uri = invite.request.request_uri;
  c.vias = {invite.request.vias.front()};  // same branch: it matches the INVITE (9.1)
  c.max_forwards = 70;
  c.from = invite.request.from;
  c.to = invite.request.to;
  c.call_id = invite.request.call_id;
  c.cseq = invite.request.cseq;
  c.cseq_method = "CANCEL";
  c.route = invite.request.route;
  uint64_t id = ++next_id_;
  auto t = std::make_unique<ClientTxn>(io_);
  t->key = c.vias.front().branch + "|CANCEL";
  t->request = std::move(c);
  t->bytes = t->request.serialize();
  t->dst = invite.dst;
  t->handler = [](const ClientEvent&) {};
  client_by_branch_[t->key] = id;
  client_[id] = std::move(t);
  startClient(id);
}

void TransactionLayer::sendAck(sip::Message ack, const Destination& dst) {
  addViaFor(ack, dst);
  if (!ack.max_forwards) {
    ack.max_forwards = 70;
  }
  transport_.send(dst, ack.serialize());
}

}  // namespace rampart::cp
