// The B2BUA. One INVITE, from the socket to the answer relayed back:
//
//  1. transport/transport_layer.cc (UDP/TCP) or transport/wss_listener.cc (WSS) receives the
//     bytes and frames one message; TransactionLayer::onMessage gets it.
//  2. sip/parser.cc parses it with sofia-sip into sip::Message (malformed: 400 naming the
//     header, sent by txn/transaction_layer.cc, which also absorbs retransmissions, sends 100
//     Trying for an INVITE and creates the server transaction).
//  3. CallManager::onRequest (this file) dispatches: no To tag + INVITE -> onInvite. The
//     connection's JWT (WSS) must name the caller; b2bua/routing.cc picks the route and orders
//     its targets (priority, weight), or b2bua/registration_relay.cc the callee's registered
//     bindings. Host-name targets are resolved without blocking (routeCall ->
//     b2bua/target_list.cc -> sip/locator.cc, RFC 3263 -> transport/dns_resolver.cc, c-ares).
//  4. createCall makes the Call (b2bua/call.h): A leg from the request, a MediaSession
//     (media/media_session.cc) that normalises the SDP offer for the B realm (sdp/), allocates
//     ports on one dataplane worker and SDES keys.
//  5. sendBInvite builds a fresh B-leg INVITE (own Call-ID, tags, Via, Contact: nothing of the
//     A realm crosses) and sends it through a client transaction.
//  6. b2bua/call_setup.cc handles B's answers: 18x relayed (with SDP: early media, flows
//     programmed first), 2xx: B is ACKed, MediaSession::answer programs both directions' flows
//     through flowprog/flow_programmer.cc and only after every dataplane Ack is the 200 relayed
//     to A (reliably to a caller using 100rel: b2bua/reliable_provisional.cc); 3xx-6xx fail
//     over to the next target or are relayed.
//  7. b2bua/in_dialog.cc carries everything after: ACK, BYE, re-INVITE/UPDATE (without SDP:
//     b2bua/delayed_offer.cc), INFO, PRACK, CANCEL.
#include "b2bua/call_manager.h"

#include <algorithm>
#include <chrono>

#include <rampart/platform/log.h>
#include <rampart/platform/shm_region.h>

#include "b2bua/sip_errors.h"

namespace rampart::cp {
namespace {

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t steadyUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool isIpLiteral(const std::string& host) {
  std::string h = host;
  if (h.size() > 2 && h.front() == '[') {
    h = h.substr(1, h.size() - 2);
  }
  boost::system::error_code ec;
  boost::asio::ip::make_address(h, ec);
  return !ec;
}

}  // namespace

CallManager::CallManager(boost::asio::io_context& io, const platform::Config& config,
                         TransactionLayer& txn, MediaContext& media,
                         std::vector<MediaRealm> media_realms, prometheus::Registry& registry)
    : io_(io),
      config_(config),
      txn_(txn),
      media_(media),
      media_realms_(std::move(media_realms)),
      router_(config),
      dns_(io, config.sip.dns_servers, registry),
      locator_(dns_),
      target_list_(locator_),
      registrations_(io, txn, router_, target_list_, registry),
      health_(io, txn, locator_, router_, registry,
              std::chrono::seconds(config.sip.options_interval_s)),
      admission_(config, registry) {
  // Call ids are flow cookies in the dataplane, which outlives us: a restarted control plane
  // must not reuse the ids of the flows its predecessor left behind.
  next_call_ = static_cast<uint64_t>(std::time(nullptr)) << 24;
  first_call_ = next_call_;
  for (const MediaRealm& m : media_realms_) {
    MediaRealm web = m;
    if (m.profile && m.profile->kind != sdp::ProfileKind::WebRtc) {
      auto p = std::make_shared<sdp::Profile>(*m.profile);
      p->kind = sdp::ProfileKind::WebRtc;
      web.profile = std::move(p);
    }
    browser_media_realms_.push_back(std::move(web));
  }
  ice_restarts_ = &prometheus::BuildCounter()
                       .Name("rampart_cp_ice_restarts_total")
                       .Help("ICE restarts by browsers (re-offers with a new ice-ufrag)")
                       .Register(registry)
                       .Add({});
  dtmf_ = &prometheus::BuildCounter()
               .Name("rampart_cp_dtmf_total")
               .Help("DTMF digits converted between RFC 4733 and SIP INFO, by method and direction")
               .Register(registry);
  // Posted: a media failure may be found inside a MediaSession call made from call code.
  media_.on_failure = [this](uint64_t id, const Error& e) {
    boost::asio::post(io_, [this, id, e] { onMediaFailure(id, e); });
  };
  calls_active_ = &prometheus::BuildGauge()
                       .Name("rampart_cp_calls_active")
                       .Help("Calls in progress (set-up and established)")
                       .Register(registry)
                       .Add({});
  attempts_ = &prometheus::BuildCounter()
                   .Name("rampart_cp_call_attempts_total")
                   .Help("Call attempts by originating realm and result")
                   .Register(registry);
  setup_seconds_ = &prometheus::BuildHistogram()
                        .Name("rampart_cp_call_setup_seconds")
                        .Help("Time from INVITE to the 200 OK relayed to the caller")
                        .Register(registry)
                        .Add({}, prometheus::Histogram::BucketBoundaries{
                                     0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  ended_ = &prometheus::BuildCounter()
                .Name("rampart_cp_calls_ended_total")
                .Help("Calls ended, by reason")
                .Register(registry);
}

CallManager::~CallManager() = default;

Result<void> CallManager::start() {
  if (auto r = dns_.start(); !r) {
    return r;
  }
  health_.start();
  return {};
}

void CallManager::stop() {
  health_.stop();
  dns_.stop();
}

Call* CallManager::find(uint64_t id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second.get();
}

void CallManager::respond(uint64_t txn, const sip::Message& req, int status,
                          const std::string& reason, const std::string& to_tag) {
  txn_.respond(
      txn, sip::makeResponse(req, status, reason, to_tag.empty() ? sip::randomToken(10) : to_tag));
}

void CallManager::respondError(uint64_t txn, const sip::Message& req, const Error& e,
                               const std::string& to_tag) {
  SipStatus s = sipStatusFor(e);
  auto resp =
      sip::makeResponse(req, s.code, s.reason, to_tag.empty() ? sip::randomToken(10) : to_tag);
  if (s.retry_after) {
    resp.addHeader("Retry-After", "5");
  }
  if (s.code == 488) {
    resp.addHeader("Warning", "399 rampart \"" + s.reason + "\"");
  }
  txn_.respond(txn, std::move(resp));
}

void CallManager::countAttempt(Call& call, const char* result) {
  call.result = result;
  attempts_->Add({{"realm", config_.realms[call.a.realm].name}, {"result", result}}).Increment();
}

sip::NameAddr CallManager::contactFor(uint32_t realm, Transport transport) const {
  auto l = txn_.transport().listener(realm, transport);
  if (!l) {
    l = txn_.transport().listener(realm, Transport::Udp);
  }
  return l ? contactAt(*l, "") : sip::NameAddr{};
}

// --- dispatch -------------------------------------------------------------------------------
void CallManager::onRequest(uint64_t txn, const sip::Message& req, const Peer& from) {
  if (req.request_uri.scheme != "sip" && req.request_uri.scheme != "sips") {
    respond(txn, req, 416, "");
    return;
  }
  // timer everywhere; 100rel on a new INVITE (reliable_provisional.cc).
  auto supported = [&req](const std::string& r) {
    return r == "timer" || (r == "100rel" && req.method == "INVITE" && !req.hasToTag());
  };
  bool unsupported_require = !std::all_of(req.require.begin(), req.require.end(), supported);
  if (unsupported_require && req.method != "CANCEL") {
    // Extensions we do not implement: RFC 3261 8.2.2.3.
    auto resp = sip::makeResponse(req, 420, "", sip::randomToken(10));
    std::string unsupported;
    for (const auto& r : req.require) {
      if (!supported(r)) {
        unsupported += (unsupported.empty() ? "" : ", ") + r;
      }
    }
    resp.addHeader("Unsupported", unsupported);
    txn_.respond(txn, std::move(resp));
    return;
  }
  if (req.hasToTag()) {
    onInDialog(txn, req, from);
    return;
  }
  if (req.method == "INVITE") {
    onInvite(txn, req, from);
  } else if (req.method == "REGISTER") {
    if (authorizeConnection(txn, req, from, false)) {
      registrations_.onRegister(txn, req, from);
    }
  } else if (req.method == "OPTIONS") {
    auto resp = sip::makeResponse(req, 200, "", sip::randomToken(10));
    resp.addHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REGISTER");
    resp.addHeader("Accept", "application/sdp");
    resp.supported = {"100rel", "timer"};
    txn_.respond(txn, std::move(resp));
  } else if (req.method == "BYE" || req.method == "INFO" || req.method == "UPDATE" ||
             req.method == "PRACK") {
    respond(txn, req, 481, "");
  } else {
    auto resp = sip::makeResponse(req, 405, "", sip::randomToken(10));
    resp.addHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER");
    txn_.respond(txn, std::move(resp));
  }
}

bool CallManager::authorizeConnection(uint64_t txn, const sip::Message& req, const Peer& from,
                                      bool call) {
  if (from.connection == 0) {
    return true;
  }
  auto conn = txn_.transport().connections().find(from.connection);
  const ConnectionAuth* auth = conn ? conn->auth() : nullptr;
  if (!auth) {
    return true;
  }
  const std::string& user = call ? req.from.uri.user : req.to.uri.user;
  const char* refusal = nullptr;
  if (!auth->subject.empty() && user != auth->subject) {
    refusal = "Identity does not match the token";
  } else if ((call && !auth->may_call) || (!call && !auth->may_register)) {
    refusal = "Token does not allow this";
  } else if (auth->expires_unix_s != 0 && std::time(nullptr) > auth->expires_unix_s) {
    refusal = "Token expired";  // in-progress calls go on; the client reconnects
  }
  if (refusal) {
    RAMPART_LOG(platform::LogLevel::Debug, "b2bua", "connection %llu (token sub %s): %s %s: %s",
                static_cast<unsigned long long>(from.connection), auth->subject.c_str(),
                req.method.c_str(), user.c_str(), refusal);
    respond(txn, req, 403, refusal);
    return false;
  }
  return true;
}

// --- new calls ------------------------------------------------------------------------------
void CallManager::onInvite(uint64_t txn, const sip::Message& req, const Peer& from) {
  if (!authorizeConnection(txn, req, from, true)) {
    return;
  }
  if (req.body.empty() || !sip::iequals(req.content_type, "application/sdp")) {
    respond(txn, req, 488, "An SDP offer is required");
    return;
  }
  // Calls from the PBX side to a user registered through Rampart go to its bindings.
  std::vector<Binding> bindings = registrations_.lookup(req.request_uri.user);
  std::optional<RouteMatch> route;
  if (bindings.empty()) {
    route = router_.route(from.realm, req.request_uri.user);
    if (!route) {
      bool known_realm = false;
      for (const auto& r : config_.routes) {
        known_realm |= r.from_realm == config_.realms[from.realm].name;
      }
      respond(txn, req, known_realm ? 404 : 480, known_realm ? "No route" : "User not registered");
      return;
    }
  }
  uint32_t to_realm = route ? route->to_realm : bindings.front().realm;
  if (!media_.sink.ready()) {
    respondError(txn, req, Error{ErrorCode::Unavailable, "dataplane not connected"});
    return;
  }
  auto ticket = admission_.admit(from.realm, to_realm, route ? route->route : "", steadyUs());
  if (!ticket) {
    auto resp = sip::makeResponse(req, 503, "Call Limit Reached", sip::randomToken(10));
    resp.addHeader("Retry-After", "5");
    txn_.respond(txn, std::move(resp));
    return;
  }
  Call& call = createCall(txn, req, from);
  call.admission = *ticket;
  call.b.realm = to_realm;
  auto webSocket = [](Transport t) { return t == Transport::Ws || t == Transport::Wss; };
  bool browserA =
      webSocket(from.transport) && (req.body.find("UDP/TLS/RTP/SAVPF") != std::string::npos ||
                                    req.body.find("a=fingerprint:") != std::string::npos ||
                                    req.body.find("a=ice-ufrag:") != std::string::npos);
  bool browserB = !route && webSocket(bindings.front().peer.transport) &&
                  bindings.front().contact.params.find("+sip.ice") != std::string::npos;
  call.media = std::make_unique<MediaSession>(media_, mediaRealm(from.realm, browserA),
                                              mediaRealm(to_realm, browserB), call.id);
  auto offer = call.media->offer(Leg::A, req.body);
  if (!offer) {
    countAttempt(call, "rejected");
    respondError(txn, req, offer.error(), call.a.local_tag);
    endCall(call.id, "offer_refused");
    return;
  }
  call.b_offer = std::move(*offer);
  armTimers(call);
  if (route) {
    routeCall(call, *route);
  } else {
    inviteBindings(call, bindings);
  }
}

Call& CallManager::createCall(uint64_t txn, const sip::Message& req, const Peer& from) {
  auto owned = std::make_unique<Call>(io_);
  Call& call = *owned;
  call.id = ++next_call_;
  call.created_ms = steadyMs();
  call.created_unix_ms = unixMs();
  call.a_invite_txn = txn;
  DialogLeg& a = call.a;
  a.realm = from.realm;
  a.peer = TransactionLayer::responseDestination(from);
  a.call_id = req.call_id;
  a.local_tag = sip::randomToken(12);
  a.remote_tag = req.from.tag;
  a.local = req.to;
  a.local.tag.clear();
  a.remote = req.from;
  a.remote.tag.clear();
  if (!req.contacts.empty()) {
    a.remote_target = req.contacts.front().uri;
  }
  for (const auto& rr : req.record_route) {
    a.route_set.push_back(rr);
  }
  a.remote_cseq = req.cseq;
  a.local_cseq = 0;
  enableReliableToA(call, req);
  dialogs_[a.call_id + "|" + a.local_tag] = {call.id, Leg::A};
  invite_txn_to_call_[txn] = call.id;
  calls_[call.id] = std::move(owned);
  calls_active_->Set(static_cast<double>(calls_.size()));
  return call;
}

sip::Message CallManager::buildBInvite(Call& call, const Target& target) {
  const sip::Message* a_req = txn_.request(call.a_invite_txn);
  sip::Message m;
  m.method = "INVITE";
  // The user the caller dialled; a domain host is kept (digest responses cover it), an IP
  // literal (one of our addresses) becomes the target's.
  m.request_uri = target.uri;
  if (a_req) {
    m.request_uri.user = a_req->request_uri.user;
    if (!isIpLiteral(a_req->request_uri.host)) {
      m.request_uri.host = a_req->request_uri.host;
      m.request_uri.port = 0;
      m.request_uri.params.clear();
    }
  }
  DialogLeg& b = call.b;
  if (b.call_id.empty()) {
    b.call_id = sip::randomToken(24) + "@rampart";
    b.local_tag = sip::randomToken(12);
  }
  b.peer = target.dst;
  b.local = call.a.remote;  // the caller's identity, host hidden when it is an address
  if (isIpLiteral(b.local.uri.host)) {
    b.local.uri.host = m.request_uri.host;
    b.local.uri.port = 0;
  }
  b.local.uri.params.clear();
  b.local.params.clear();
  b.remote = call.a.local;
  b.remote.uri.user = m.request_uri.user;
  b.remote.uri.host = m.request_uri.host;
  b.remote.uri.port = m.request_uri.port;
  b.remote.uri.params.clear();
  b.remote.params.clear();
  b.remote_target = m.request_uri;
  m.from = b.local;
  m.from.tag = b.local_tag;
  m.to = b.remote;
  m.call_id = b.call_id;
  m.cseq = ++b.local_cseq;
  m.cseq_method = "INVITE";
  m.contacts.push_back(contactFor(b.realm, target.dst.transport));
  m.content_type = "application/sdp";
  m.body = call.b_offer;
  m.addHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK");
  m.supported = {"100rel", "timer"};  // call_setup.cc PRACKs; session_timer.cc refreshes
  if (config_.sip.session_expires_s != 0) {
    m.addHeader("Session-Expires",
                std::to_string(config_.sip.session_expires_s) + ";refresher=uac");
  }
  // Max-Forwards crosses the B2BUA decremented, so a loop through several SBCs still ends.
  m.max_forwards =
      a_req && a_req->max_forwards ? std::max<uint32_t>(*a_req->max_forwards, 1) - 1 : 69;
  if (a_req) {
    for (const char* h : {"Proxy-Authorization", "Authorization"}) {
      for (auto v : a_req->headerValues(h)) {
        m.addHeader(h, std::string(v));
      }
    }
  }
  return m;
}

// The route's targets, host names resolved (RFC 3263), targets that are up first.
void CallManager::routeCall(Call& call, const RouteMatch& route) {
  call.route_name = route.route;
  uint64_t id = call.id;
  target_list_.expand(route.targets, [this, id](std::vector<Target> targets) {
    Call* c = find(id);
    if (!c || c->cancelled || c->state != CallState::Routing) {
      return;
    }
    if (targets.empty()) {
      countAttempt(*c, "failed");
      relayToA(*c, 503, "No reachable target", "", nullptr);
      endCall(id, "no_target");
      return;
    }
    c->targets = health_.preferUp(targets);
    sendBInvite(*c);
  });
}

void CallManager::sendBInvite(Call& call) {
  const Target& target = call.targets[call.target_index];
  sip::Message m = buildBInvite(call, target);
  call.b_invite = m;
  std::vector<Fork>& forks = forks_[call.id];
  forks.clear();
  forks.push_back(Fork{call.b, 0, false, 0});
  uint64_t id = call.id;
  forks[0].txn = txn_.sendRequest(
      std::move(m), target.dst,
      [this, id](const TransactionLayer::ClientEvent& ev) { onBResponse(id, 0, ev); });
  call.b_invite_txn = forks[0].txn;
}

void CallManager::inviteBindings(Call& call, const std::vector<Binding>& bindings) {
  call.route_name = "registered";
  std::vector<Fork>& forks = forks_[call.id];
  forks.clear();
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    const Binding& bnd = bindings[i];
    Target t;
    t.uri = bnd.contact.uri;
    t.dst = bnd.peer;
    call.b.call_id.clear();
    call.b.realm = bnd.realm;
    call.b.local_cseq = 0;
    sip::Message m = buildBInvite(call, t);
    m.request_uri = bnd.contact.uri;  // the client's own Contact (RFC 7118 .invalid hosts too)
    m.to.uri.user = bnd.user;
    forks.push_back(Fork{call.b, 0, false, 0});
    uint64_t id = call.id;
    forks.back().txn = txn_.sendRequest(
        std::move(m), t.dst,
        [this, id, i](const TransactionLayer::ClientEvent& ev) { onBResponse(id, i, ev); });
    dialogs_[forks.back().leg.call_id + "|" + forks.back().leg.local_tag] = {call.id, Leg::B};
  }
  call.b = forks.front().leg;
  call.b_invite_txn = forks.front().txn;
}

void CallManager::armTimers(Call& call) {
  uint64_t id = call.id;
  call.timer.expires_after(std::chrono::seconds(config_.sip.no_answer_timeout_s));
  call.timer.async_wait([this, id](boost::system::error_code ec) {
    Call* c = find(id);
    if (ec || !c || c->state == CallState::Confirmed || c->state == CallState::Ending) {
      return;
    }
    for (auto& f : forks_[id]) {
      txn_.cancel(f.txn);
    }
    c->cancelled = true;
    relayToA(*c, 408, "No Answer", "", nullptr);
    countAttempt(*c, "no_answer");
    endCall(id, "no_answer");
  });
}

// --- teardown -------------------------------------------------------------------------------
void CallManager::reloadRoutes() {
  router_.rebuild();
  health_.sync(router_);
}

const Call* CallManager::findCall(uint64_t id) const {
  auto it = calls_.find(id);
  return it == calls_.end() || it->second->state == CallState::Ended ? nullptr : it->second.get();
}

Result<void> CallManager::endByOperator(uint64_t id, const std::string& who) {
  Call* call = find(id);
  if (call == nullptr || call->state == CallState::Ending || call->state == CallState::Ended) {
    return Error(ErrorCode::NotFound, "no call " + std::to_string(id));
  }
  RAMPART_LOG(platform::LogLevel::Info, "b2bua", "call %llu ended by operator %s",
              static_cast<unsigned long long>(id), who.c_str());
  call->ended_by = "operator:" + who;
  hangUp(*call, "operator");
  return {};
}

void CallManager::hangUp(Call& call, const std::string& reason) {
  if (call.state == CallState::Ending || call.state == CallState::Ended) {
    return;
  }
  if (call.state == CallState::Confirmed || call.state == CallState::Answering) {
    for (Leg l : {Leg::A, Leg::B}) {
      sip::Message bye = buildInDialog(call, l, "BYE");
      bye.addHeader("Reason", "SIP;cause=200;text=\"" + reason + "\"");
      sendInDialog(call, l, std::move(bye), [](const TransactionLayer::ClientEvent&) {});
    }
  } else {
    for (auto& f : forks_[call.id]) {
      txn_.cancel(f.txn);
    }
    call.cancelled = true;
    relayToA(call, 503, "Call Torn Down", "", nullptr);
  }
  endCall(call.id, reason);
}

void CallManager::endCall(uint64_t call_id, const std::string& reason) {
  Call* call = find(call_id);
  if (!call || call->state == CallState::Ended) {
    return;
  }
  call->state = CallState::Ended;
  call->end_reason = reason;
  admission_.release(call->admission);
  ended_->Add({{"reason", reason}}).Increment();
  call->timer.cancel();
  call->duration.cancel();
  call->refresh.cancel();
  call->reoffer_guard.cancel();
  call->glare.cancel();
  call->media_check.cancel();
  if (call->a_rel) {
    call->a_rel->timer.cancel();
  }
  auto finish = [this, call_id]() {
    auto it = calls_.find(call_id);
    if (it == calls_.end()) {
      return;
    }
    Call& c = *it->second;
    dialogs_.erase(c.a.call_id + "|" + c.a.local_tag);
    dialogs_.erase(c.b.call_id + "|" + c.b.local_tag);
    for (auto& f : forks_[call_id]) {
      dialogs_.erase(f.leg.call_id + "|" + f.leg.local_tag);
    }
    forks_.erase(call_id);
    invite_txn_to_call_.erase(c.a_invite_txn);
    calls_.erase(it);
    calls_active_->Set(static_cast<double>(calls_.size()));
  };
  reportEnd(*call, [this, call_id, finish]() {
    Call* c = find(call_id);
    if (c != nullptr && c->media) {
      // Ports are freed only after the dataplane acknowledged the flow deletions.
      c->media->close(finish);
    } else {
      finish();
    }
  });
}

void CallManager::reportEnd(Call& call, std::function<void()> then) {
  call.ended_unix_ms = unixMs();
  if (call.ended_by.empty()) {
    const std::string& r = call.end_reason;
    call.ended_by = r == "bye_caller" || r == "cancelled"             ? "caller"
                    : r == "bye_callee" || r.rfind("failed_", 0) == 0 ? "callee"
                                                                      : "rampart";
  }
  struct Pending {
    std::vector<FlowReport> reports;
    std::size_t left = 0;
    std::function<void()> then;
  };
  auto p = std::make_shared<Pending>();
  p->then = std::move(then);
  if (call.media && observer_ != nullptr) {
    for (const ProgrammedFlow& f : call.media->flows()) {
      p->reports.push_back({f.key.from, f.key.rtcp != 0,
                            f.spec.clock_rate == 0 ? 8000u : f.spec.clock_rate, std::nullopt});
    }
  }
  auto done = [this, p, id = call.id]() {
    Call* c = find(id);
    if (c != nullptr && observer_ != nullptr) {
      observer_->onCallEnded(*c, p->reports);
    }
    p->then();
  };
  p->left = p->reports.size();
  if (p->left == 0) {
    done();
    return;
  }
  const auto& flows = call.media->flows();
  for (std::size_t i = 0; i < flows.size(); ++i) {
    media_.sink.query(call.media->worker(), flows[i].handle,
                      [p, i, done](Result<abi::FlowInfo> info) {
                        if (info) {
                          p->reports[i].info = info.value();
                        }
                        if (--p->left == 0) {
                          done();
                        }
                      });
  }
}

const MediaRealm& CallManager::mediaRealm(uint32_t realm, bool browser) const {
  return browser ? browser_media_realms_[realm] : media_realms_[realm];
}

// A quiet RTCP flow, or one direction gone quiet (hold, a one-way stream), is not a dead call:
// it is hung up only when none of its RTP flows has carried a packet for the idle time (the
// dataplane's last_seen is CLOCK_MONOTONIC, like ours).
bool CallManager::onMediaIdle(uint64_t call_id, uint64_t flow) {
  Call* call = find(call_id);
  if (!call) {
    return false;
  }
  const ProgrammedFlow* idle = call->media ? call->media->flowByHandle(flow) : nullptr;
  if (call->state != CallState::Confirmed || idle == nullptr || idle->key.rtcp != 0) {
    return true;
  }
  struct Check {
    std::size_t left = 0;
    bool alive = false;
    bool unanswered = false;
  };
  auto check = std::make_shared<Check>();
  uint32_t default_idle_s = config_.dataplane.idle_timeout_s;
  uint64_t now = platform::monotonicNs();
  std::vector<std::pair<uint64_t, uint64_t>> rtp;  // handle, idle time (ns)
  for (const ProgrammedFlow& f : call->media->flows()) {
    if (f.key.rtcp == 0) {
      uint32_t s = f.spec.idle_timeout_s != 0 ? f.spec.idle_timeout_s : default_idle_s;
      rtp.emplace_back(f.handle, uint64_t{s} * 1000000000ull);
    }
  }
  check->left = rtp.size();
  for (const auto& [handle, idle_ns] : rtp) {
    media_.sink.query(
        call->media->worker(), handle,
        [this, check, call_id, flow, now, idle_ns = idle_ns](Result<abi::FlowInfo> info) {
          if (!info) {
            check->unanswered = true;
          } else if (now < info.value().last_seen_ns + idle_ns) {
            check->alive = true;  // that flow reports itself once it goes quiet
          }
          if (--check->left == 0 && !check->alive) {
            mediaIdleChecked(call_id, flow, check->unanswered);
          }
        });
  }
  return true;
}

// The dataplane reports a flow idle once per silence, so a check it could not answer is asked
// again later rather than dropped (the call would otherwise outlive its media for good).
void CallManager::mediaIdleChecked(uint64_t call_id, uint64_t flow, bool unanswered) {
  Call* c = find(call_id);
  if (c == nullptr || c->state != CallState::Confirmed) {
    return;
  }
  if (unanswered) {
    c->media_check.expires_after(std::chrono::seconds(1));
    c->media_check.async_wait([this, call_id, flow](const boost::system::error_code& ec) {
      if (!ec) {
        onMediaIdle(call_id, flow);
      }
    });
    return;
  }
  RAMPART_LOG(platform::LogLevel::Info, "b2bua", "call %llu: media idle, hanging up",
              static_cast<unsigned long long>(call_id));
  hangUp(*c, "media_idle");
}

void CallManager::onMediaFailure(uint64_t call_id, const Error& error) {
  Call* call = find(call_id);
  if (!call) {
    return;
  }
  RAMPART_LOG(platform::LogLevel::Warn, "b2bua", "call %llu: media failed: %s",
              static_cast<unsigned long long>(call_id), error.message.c_str());
  hangUp(*call, "media_failed");
}

const ProgrammedFlow* CallManager::mediaFlow(uint64_t call_id, uint64_t handle) {
  Call* call = find(call_id);
  return call && call->media ? call->media->flowByHandle(handle) : nullptr;
}

bool CallManager::onConsentExpired(uint64_t call_id) {
  Call* call = find(call_id);
  if (!call) {
    return false;
  }
  RAMPART_LOG(platform::LogLevel::Info, "b2bua", "call %llu: ICE consent expired, hanging up",
              static_cast<unsigned long long>(call_id));
  hangUp(*call, "ice_consent_expired");
  return true;
}

void CallManager::onDataplaneRestart() {
  for (auto& [id, call] : calls_) {
    if (call->media && call->state == CallState::Confirmed) {
      uint64_t cid = id;
      call->media->reprogram([this, cid](Result<void> r) {
        Call* c = find(cid);
        if (c && !r) {
          hangUp(*c, "media_lost");
        } else if (c) {
          programDtmf(*c);  // the new dataplane's flows report nothing yet
        }
      });
    }
  }
}

void CallManager::onXcodeRestart(uint32_t worker) {
  for (auto& [id, call] : calls_) {
    if (call->media && call->media->worker() == worker && call->media->transcoded()) {
      replayXcode(id, 0);
    }
  }
}

// One call's setups again; a call whose flows are being programmed right now is retried a
// little later (bounded), so a re-INVITE in flight does not lose the replay.
void CallManager::replayXcode(uint64_t call_id, int attempt) {
  Call* call = find(call_id);
  if (!call || !call->media) {
    return;
  }
  call->media->replayXcode([this, call_id, attempt](Result<void> r) {
    if (r) {
      RAMPART_LOG(platform::LogLevel::Info, "b2bua", "call %llu: transcoding set up again",
                  static_cast<unsigned long long>(call_id));
      return;
    }
    if (r.error().code == ErrorCode::Conflict && attempt < 20) {
      auto t = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(200));
      t->async_wait([this, t, call_id, attempt](boost::system::error_code ec) {
        if (!ec) {
          replayXcode(call_id, attempt + 1);
        }
      });
      return;
    }
    RAMPART_LOG(platform::LogLevel::Warn, "b2bua", "call %llu: transcoding not set up again: %s",
                static_cast<unsigned long long>(call_id), r.error().message.c_str());
  });
}

void CallManager::onConnectionClosed(uint64_t connection) {
  registrations_.onConnectionClosed(connection);
  std::vector<uint64_t> affected;
  for (auto& [id, call] : calls_) {
    if (call->a.peer.connection == connection || call->b.peer.connection == connection) {
      affected.push_back(id);
    }
  }
  for (uint64_t id : affected) {
    Call* call = find(id);
    if (call) {
      hangUp(*call, "connection_lost");
    }
  }
}

}  // namespace rampart::cp
