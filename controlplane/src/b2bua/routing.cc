#include "b2bua/routing.h"

#include "sip/locator.h"

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
  return sip::literalDestination(uri, realm);
}

std::vector<Target> orderTargets(const std::vector<Target>& targets, const UniformDraw& draw) {
  std::vector<PriorityWeight> pw;
  for (const auto& t : targets) {
    pw.push_back(PriorityWeight{t.policy.priority, t.policy.weight});
  }
  std::vector<Target> out;
  for (std::size_t i : weightedOrder(pw, draw)) {
    out.push_back(targets[i]);
  }
  return out;
}

Router::Router(const platform::Config& config) : config_(config) { rebuild(); }

void Router::rebuild() {
  routes_.clear();
  for (const auto& r : config_.routes) {
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
    for (std::size_t i = 0; i < r.targets.size(); ++i) {
      auto uri = sip::parseUri(r.targets[i]);
      if (!uri) {
        continue;
      }
      Target t;
      t.policy = i < r.target_policy.size() ? r.target_policy[i] : platform::TargetPolicy{};
      if (auto dst = destinationFor(*uri, c.to)) {
        t.dst = *dst;
      } else {
        t.needs_dns = true;  // resolved per call (RFC 3263)
        t.dst.realm = c.to;
        t.dst.transport = sip::uriTransport(*uri).value_or(Transport::Udp);
        t.dst.port = uri->port != 0 ? uri->port : sip::defaultPort(t.dst.transport);
      }
      t.uri = std::move(*uri);
      c.targets.push_back(std::move(t));
    }
    routes_.push_back(std::move(c));
  }
}

std::optional<RouteMatch> Router::route(uint32_t from_realm, const std::string& user,
                                        const UniformDraw& draw) const {
  for (const auto& r : routes_) {
    if (r.from != from_realm || r.targets.empty()) {
      continue;
    }
    if (!r.any_user && !std::regex_search(user, r.pattern)) {
      continue;
    }
    return RouteMatch{r.name, r.to, orderTargets(r.targets, draw)};
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
