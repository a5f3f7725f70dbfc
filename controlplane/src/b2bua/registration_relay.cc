#include "b2bua/registration_relay.h"

#include <chrono>

#include <rampart/platform/log.h>

#include "b2bua/sip_errors.h"

namespace rampart::cp {
namespace {

int64_t nowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string paramValue(const std::string& params, std::string_view name) {
  sip::Uri tmp;
  tmp.params = params;
  auto v = tmp.param(name);
  return v ? *v : std::string();
}

bool isIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  std::string h = host;
  if (h.size() > 2 && h.front() == '[') {
    h = h.substr(1, h.size() - 2);
  }
  boost::asio::ip::make_address(h, ec);
  return !ec;
}

}  // namespace

RegistrationRelay::RegistrationRelay(boost::asio::io_context& io, TransactionLayer& txn,
                                     const Router& router, TargetList& targets,
                                     prometheus::Registry& registry)
    : io_(io), txn_(txn), router_(router), targets_(targets), sweep_timer_(io) {
  active_gauge_ = &prometheus::BuildGauge()
                       .Name("rampart_cp_registrations_active")
                       .Help("Client bindings registered through Rampart")
                       .Register(registry)
                       .Add({});
  results_ = &prometheus::BuildCounter()
                  .Name("rampart_cp_register_relayed_total")
                  .Help("REGISTER requests relayed, by the registrar's answer class")
                  .Register(registry);
  deregistrations_ = &prometheus::BuildCounter()
                          .Name("rampart_cp_upstream_deregistrations_total")
                          .Help(
                              "REGISTER Expires: 0 sent upstream when a user's last binding "
                              "went, by result (ok, challenged, failed)")
                          .Register(registry);
  sweep();
}

void RegistrationRelay::sweep() {
  int64_t now = nowS();
  dropBindings([now](const Binding& b) { return b.expires_at_s <= now; });
  sweep_timer_.expires_after(std::chrono::seconds(5));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      sweep();
    }
  });
}

void RegistrationRelay::updateGauge() { active_gauge_->Set(static_cast<double>(bindings_.size())); }

std::string RegistrationRelay::bindingKey(const sip::Message& req, const Peer& from,
                                          const sip::NameAddr& c) const {
  std::string instance = paramValue(c.params, "+sip.instance");
  if (!instance.empty()) {
    return req.to.uri.user + "|" + instance + "|" + paramValue(c.params, "reg-id");
  }
  return req.to.uri.user + "|" + c.uri.str() + "|" + from.address.to_string() + ":" +
         std::to_string(from.port) + "|" + std::to_string(from.connection);
}

bool RegistrationRelay::admit(uint64_t txn, const sip::Message& req, const Peer& from,
                              RouteMatch* route, platform::SignallingListener* listener) {
  auto refuse = [&](int status, const char* reason) {
    txn_.respond(txn, sip::makeResponse(req, status, reason, sip::randomToken(10)));
    return false;
  };
  if (req.to.uri.user.empty()) {
    return refuse(400, "Missing user in To");
  }
  auto found = router_.route(from.realm, req.to.uri.user);
  if (!found) {
    return refuse(404, "No route to a registrar");
  }
  if (req.contacts.size() > 1 || (req.contact_star && !req.contacts.empty())) {
    return refuse(400, "One Contact per REGISTER");
  }
  auto l = txn_.transport().listener(found->to_realm, found->targets.front().dst.transport);
  if (!l) {
    l = txn_.transport().listener(found->to_realm, Transport::Udp);
  }
  if (!l) {
    return refuse(503, "No signalling listener toward the registrar");
  }
  *route = std::move(*found);
  *listener = *l;
  return true;
}

Binding RegistrationRelay::candidateFor(const sip::Message& req, const Peer& from,
                                        uint32_t* requested, std::string* key) const {
  *requested = req.expires.value_or(3600);
  Binding candidate;
  if (req.contacts.empty()) {
    return candidate;
  }
  const sip::NameAddr& c = req.contacts.front();
  std::string e = paramValue(c.params, "expires");
  if (!e.empty()) {
    *requested = static_cast<uint32_t>(std::strtoul(e.c_str(), nullptr, 10));
  }
  *key = bindingKey(req, from, c);
  candidate.user = req.to.uri.user;
  candidate.realm = from.realm;
  candidate.peer = TransactionLayer::responseDestination(from);
  candidate.contact = c;
  candidate.instance = paramValue(c.params, "+sip.instance");
  candidate.reg_id = paramValue(c.params, "reg-id");
  return candidate;
}

uint32_t RegistrationRelay::upstreamExpires(const sip::Message& req, const std::string& key,
                                            uint32_t requested) const {
  // Keep the registrar's binding while another binding of the same user lives on.
  uint32_t expires = requested;
  if (requested == 0 || req.contact_star) {
    for (const auto& [k, b] : bindings_) {
      if (b.user == req.to.uri.user && k != key) {
        expires = std::max<uint32_t>(expires, static_cast<uint32_t>(b.expires_at_s - nowS()));
      }
    }
  }
  return expires;
}

sip::Message RegistrationRelay::upstreamRequest(const sip::Message& req, const Peer& from,
                                                const Target& target,
                                                const platform::SignallingListener& listener,
                                                uint32_t expires) {
  Upstream& up = upstream_[upstreamKey(req, from)];
  if (up.call_id.empty()) {
    up.call_id = sip::randomToken(20) + "@rampart";
    up.from_tag = sip::randomToken(10);
  }
  sip::Message out;
  out.method = "REGISTER";
  // The Request-URI stays as the client wrote it when it names a domain: digest responses
  // cover it. An IP literal names our own address and becomes the registrar's.
  out.request_uri = req.request_uri;
  if (isIpLiteral(out.request_uri.host)) {
    out.request_uri = target.uri;
    out.request_uri.user.clear();
  }
  out.from = req.from;
  out.from.tag = up.from_tag;
  out.to = req.to;
  out.to.tag.clear();
  for (sip::NameAddr* a : {&out.from, &out.to}) {
    if (isIpLiteral(a->uri.host)) {
      a->uri.host = out.request_uri.host;
      a->uri.port = 0;
    }
    a->uri.params.clear();
  }
  out.call_id = up.call_id;
  out.cseq = ++up.cseq;
  out.cseq_method = "REGISTER";
  out.contact_star = req.contact_star && expires == 0;
  if (!req.contacts.empty() || (req.contact_star && expires != 0)) {
    out.contacts.push_back(contactAt(listener, req.to.uri.user));
  }
  out.expires = expires;
  for (const char* h : {"Authorization", "Proxy-Authorization"}) {
    for (auto v : req.headerValues(h)) {
      out.addHeader(h, std::string(v));
    }
  }
  up.sent = out;
  up.dst = target.dst;
  return out;
}

std::string RegistrationRelay::upstreamKey(const sip::Message& req, const Peer& from) {
  return req.call_id + "|" + from.address.to_string() + "|" + std::to_string(from.connection);
}

void RegistrationRelay::onRegister(uint64_t txn, const sip::Message& req, const Peer& from) {
  RouteMatch route;
  platform::SignallingListener listener;
  if (!admit(txn, req, from, &route, &listener)) {
    return;
  }
  // A registrar named by a host name is resolved first (RFC 3263); the first address is used.
  targets_.expand(
      {route.targets.front()}, [this, txn, req, from, listener](std::vector<Target> targets) {
        if (targets.empty()) {
          txn_.respond(txn,
                       sip::makeResponse(req, 503, "Registrar not resolved", sip::randomToken(10)));
          return;
        }
        relay(txn, req, from, targets.front(), listener);
      });
}

void RegistrationRelay::relay(uint64_t txn, const sip::Message& req, const Peer& from,
                              const Target& target, const platform::SignallingListener& listener) {
  uint32_t requested = 0;
  std::string key;
  Binding candidate = candidateFor(req, from, &requested, &key);
  candidate.upstream_key = upstreamKey(req, from);
  sip::Message out =
      upstreamRequest(req, from, target, listener, upstreamExpires(req, key, requested));
  Peer client = from;
  txn_.sendRequest(
      std::move(out), target.dst,
      [this, txn, req, client, key, candidate, requested](const TransactionLayer::ClientEvent& ev) {
        if (ev.error) {
          results_->Add({{"result", "error"}}).Increment();
          int status = ev.error->code == ErrorCode::Timeout ? 408 : 503;
          txn_.respond(txn, sip::makeResponse(req, status, "", sip::randomToken(10)));
          return;
        }
        if (ev.response->status < 200 || ev.retransmission) {
          return;
        }
        relayResponse(txn, req, client, *ev.response, key, candidate, requested);
      });
}

void RegistrationRelay::relayResponse(uint64_t txn, const sip::Message& req, const Peer& from,
                                      const sip::Message& resp, const std::string& key,
                                      const Binding& candidate, uint32_t requested) {
  (void)from;
  results_->Add({{"result", std::to_string(resp.status / 100) + "xx"}}).Increment();
  auto out = sip::makeResponse(req, resp.status, resp.reason, sip::randomToken(10));
  for (const char* h : {"WWW-Authenticate", "Proxy-Authenticate", "Min-Expires", "Date"}) {
    for (auto v : resp.headerValues(h)) {
      out.addHeader(h, std::string(v));
    }
  }
  if (resp.status >= 200 && resp.status < 300 && !key.empty()) {
    uint32_t granted = requested;
    if (!resp.contacts.empty()) {
      std::string e = paramValue(resp.contacts.front().params, "expires");
      if (!e.empty()) {
        granted = std::min<uint32_t>(requested,
                                     static_cast<uint32_t>(std::strtoul(e.c_str(), nullptr, 10)));
      }
    } else if (resp.expires) {
      granted = std::min(requested, *resp.expires);
    }
    if (granted == 0) {
      bindings_.erase(key);
    } else {
      auto up = upstream_.find(candidate.upstream_key);
      if (up != upstream_.end() && up->second.sent.expires.value_or(0) != 0) {
        up->second.accepted = up->second.sent;
      }
      Binding b = candidate;
      b.expires_at_s = nowS() + granted;
      bindings_[key] = std::move(b);
      sip::NameAddr c = candidate.contact;
      // The client's own Contact with what was granted.
      std::string rest;
      std::string_view p(c.params);
      while (!p.empty()) {
        p.remove_prefix(p.front() == ';' ? 1 : 0);
        std::string_view item = p.substr(0, p.find(';'));
        p.remove_prefix(item.size());
        if (item.substr(0, item.find('=')) != "expires" && !item.empty()) {
          rest += ";" + std::string(item);
        }
      }
      c.params = rest + ";expires=" + std::to_string(granted);
      out.contacts.push_back(std::move(c));
    }
    updateGauge();
  }
  txn_.respond(txn, std::move(out));
}

std::vector<Binding> RegistrationRelay::lookup(const std::string& user) const {
  std::vector<Binding> out;
  int64_t now = nowS();
  for (const auto& [k, b] : bindings_) {
    if (b.user == user && b.expires_at_s > now) {
      out.push_back(b);
    }
  }
  return out;
}

void RegistrationRelay::onConnectionClosed(uint64_t connection) {
  if (connection == 0) {
    return;
  }
  dropBindings([connection](const Binding& b) { return b.peer.connection == connection; });
  std::erase_if(upstream_, [connection](const auto& kv) {
    return kv.first.substr(kv.first.rfind('|') + 1) == std::to_string(connection);
  });
}

}  // namespace rampart::cp
