#include "b2bua/routing.h"

#include <rampart/platform/log.h>

namespace rampart::cp {

sip::NameAddr contactAt(const platform::SignallingListener& listener, const std::string& user) {
  sip::NameAddr c;
  c.uri.user = user;
  c.uri.host =
      listener.address.family == 6 ? "[" + listener.address.text + "]" : listener.address.text;
  c.uri.port = listener.port;
  c.uri.params = std::string(";transport=") + platform::transportName(listener.transport);
  return c;
}

std::optional<Destination> destinationFor(const sip::Uri& uri, uint32_t realm) {
  std::string host = uri.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    return std::nullopt;
  }
  Destination d;
  d.address = address;
  d.realm = realm;
  auto transport = uri.param("transport");
  std::string t = transport ? *transport : "udp";
  for (auto& c : t) {
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  if (uri.scheme == "sips" || t == "tls") {
    d.transport = Transport::Tls;
  } else if (t == "tcp") {
    d.transport = Transport::Tcp;
  } else if (t == "ws") {
    d.transport = Transport::Ws;
  } else if (t == "wss") {
    d.transport = Transport::Wss;
  } else {
    d.transport = Transport::Udp;
  }
  d.port = uri.port != 0 ? uri.port : (d.transport == Transport::Tls ? 5061 : 5060);
  return d;
}

Router::Router(const platform::Config& config) : config_(config) {
  for (const auto& r : config.routes) {
    Compiled c;
    c.name = r.name;
    auto from = realmIndex(r.from_realm);
    auto to = realmIndex(r.to_realm);
    if (!from || !to) {
      continue;  // the config loader already refused unknown realms
    }
    c.from = *from;
    c.to = *to;
    c.any_user = r.match_user.empty();
    if (!c.any_user) {
      c.pattern = std::regex(r.match_user, std::regex::ECMAScript | std::regex::optimize);
    }
    for (const auto& t : r.targets) {
      auto uri = sip::parseUri(t);
      if (!uri) {
        continue;
      }
      auto dst = destinationFor(*uri, c.to);
      if (!dst) {
        RAMPART_LOG(platform::LogLevel::Warn, "routing",
                    "route %s: target %s is not an IP literal (DNS targets are not served yet)",
                    r.name.c_str(), t.c_str());
        continue;
      }
      c.targets.push_back(Target{std::move(*uri), *dst});
    }
    routes_.push_back(std::move(c));
  }
}

std::optional<RouteMatch> Router::route(uint32_t from_realm, const std::string& user) const {
  for (const auto& r : routes_) {
    if (r.from != from_realm || r.targets.empty()) {
      continue;
    }
    if (!r.any_user && !std::regex_search(user, r.pattern)) {
      continue;
    }
    return RouteMatch{r.name, r.to, r.targets};
  }
  return std::nullopt;
}

std::optional<uint32_t> Router::realmIndex(const std::string& name) const {
  for (uint32_t i = 0; i < config_.realms.size(); ++i) {
    if (config_.realms[i].name == name) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace rampart::cp
