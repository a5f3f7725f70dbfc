#include "security/signalling_guard.h"

#include <rampart/platform/log.h>

#include "sip/message.h"

namespace rampart::cp::security {
namespace {

std::vector<std::string> realmNames(const platform::Config& config) {
  std::vector<std::string> names;
  for (const platform::Realm& r : config.realms) {
    names.push_back(r.name);
  }
  return names;
}

bool carriesCredentials(const sip::Message& request) {
  return request.header("Authorization").has_value() ||
         request.header("Proxy-Authorization").has_value();
}

}  // namespace

SignallingGuard::SignallingGuard(boost::asio::io_context& io, const platform::Config& config,
                                 TransportLayer& transport, prometheus::Registry& registry)
    : io_(io),
      config_(config),
      transport_(transport),
      limiter_(config),
      bans_(config.security.max_tracked_sources),
      metrics_(registry, realmNames(config)),
      geo_(config.security.geo, registry),
      sweep_timer_(io) {
  bans_.addListener(this);
  copyRealmGeo();
  if (!config.security.ban_file.empty()) {
    store_ = std::make_unique<BanStore>(config.security.ban_file, bans_);
    bans_.addListener(store_.get());
  }
}

SignallingGuard::~SignallingGuard() { stop(); }

int64_t SignallingGuard::nowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t SignallingGuard::nowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SignallingGuard::start() {
  if (store_) {
    store_->load(nowUnix());
  }
  sweep();
}

void SignallingGuard::stop() {
  sweep_timer_.cancel();
  if (store_) {
    store_->flush();
  }
}

void SignallingGuard::onMessage(const Peer& from, std::string bytes) {
  AddressKey source = AddressKey::of(from.address);
  RequestPeek peek = peekRequest(bytes);
  if (bans_.contains(source, nowUnix())) {
    metrics_.refused(from.realm, peek.method, Reason::Banned, Action::Drop);
    return;
  }
  if (geoRefuses(from.address, from.realm)) {
    metrics_.refused(from.realm, peek.method, Reason::Geo, Action::Drop);
    return;
  }
  Verdict v = limiter_.check(source, from.realm, peek, nowUs());
  if (v.action == Action::Pass) {
    next_->onMessage(from, std::move(bytes));
    return;
  }
  metrics_.refused(from.realm, peek.method, v.reason, v.action);
  if (v.action == Action::Reply) {
    reply(from, bytes, v.retry_after_s);
  }
  if (v.ban) {
    banFor(source, "rate");
  }
}

void SignallingGuard::copyRealmGeo() {
  realm_geo_.clear();
  for (const platform::Realm& r : config_.realms) {
    realm_geo_.push_back({r.security.deny_countries, r.security.allow_countries});
  }
}

// Global lists first, then the realm's own (both on security.geo's database).
bool SignallingGuard::geoRefuses(const boost::asio::ip::address& source, uint32_t realm) const {
  if (!geo_.enabled()) {
    return false;
  }
  if (geo_.refuses(source)) {
    return true;
  }
  return realm < realm_geo_.size() &&
         geo_.refuses(source, realm_geo_[realm].deny, realm_geo_[realm].allow);
}

void SignallingGuard::onConnectionClosed(uint64_t connection) {
  next_->onConnectionClosed(connection);
}

// 503 + Retry-After (RFC 3261 21.5.4). SIP's 429 means "Provide Referrer Identity" (RFC 3892),
// not "too many requests", so overload is always 503 here. The full parse happens only for
// these answered refusals, which replies_per_source bounds per source and second.
void SignallingGuard::reply(const Peer& from, std::string_view bytes, uint32_t retry_after_s) {
  auto parsed = sip::Message::parse(bytes);
  if (!parsed || !parsed->request || parsed->method == "ACK") {
    return;
  }
  sip::Message resp = sip::makeResponse(*parsed, 503, "", sip::randomToken(10));
  resp.addHeader("Retry-After", std::to_string(retry_after_s));
  transport_.send(TransactionLayer::responseDestination(from), resp.serialize());
}

void SignallingGuard::onFinalResponse(const Peer& to, const sip::Message& request, int status) {
  bool rejected_credentials =
      status == 403 || ((status == 401 || status == 407) && carriesCredentials(request));
  if (rejected_credentials && limiter_.authFailure(AddressKey::of(to.address), nowUs())) {
    banFor(AddressKey::of(to.address), "auth");
  }
}

void SignallingGuard::onBadToken(const boost::asio::ip::address& source, uint32_t) {
  if (limiter_.jwtFailure(AddressKey::of(source), nowUs())) {
    banFor(AddressKey::of(source), "jwt");
  }
}

// Expiry in whole seconds, rounded up: a ban holds at least its duration.
int64_t SignallingGuard::expiryAfter(uint32_t seconds) {
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  return (ms + 999) / 1000 + seconds;
}

// Connection storms: refused before any TLS work, so a handshake storm costs an accept and a
// close per connection.
bool SignallingGuard::admitConnection(const boost::asio::ip::address& source, uint32_t realm,
                                      Transport transport) {
  AddressKey key = AddressKey::of(source);
  const platform::ConnectionLimits& lim = config_.security.connections;
  Reason why = Reason::Count;
  if (bans_.contains(key, nowUnix())) {
    why = Reason::Banned;
  } else if (geoRefuses(source, realm)) {
    why = Reason::Geo;
  } else if (connections_total_ >= lim.max_total) {
    why = Reason::ConnectionTotal;
  } else if (auto it = connections_.find(key);
             it != connections_.end() && it->second >= lim.max_per_source) {
    why = Reason::ConnectionLimit;
  } else {
    why = limiter_.admitConnection(key, realm, nowUs());
  }
  if (why != Reason::Count) {
    metrics_.refusedConnection(realm, transport, why);
    return false;
  }
  ++connections_[key];
  ++connections_total_;
  return true;
}

void SignallingGuard::connectionEnded(const boost::asio::ip::address& source) {
  auto it = connections_.find(AddressKey::of(source));
  if (it == connections_.end()) {
    return;
  }
  if (--it->second == 0) {
    connections_.erase(it);
  }
  --connections_total_;
}

bool SignallingGuard::ban(const boost::asio::ip::address& source, uint32_t seconds,
                          const std::string& reason) {
  return bans_.add(AddressKey::of(source), expiryAfter(seconds), reason);
}

void SignallingGuard::banFor(const AddressKey& source, const char* reason) {
  if (!bans_.add(source, expiryAfter(config_.security.ban.duration_s), reason)) {
    RAMPART_LOG_RATELIMITED(platform::LogLevel::Warn, "security", 10,
                            "ban list full (%zu): %s not banned", bans_.size(),
                            source.str().c_str());
  }
}

void SignallingGuard::onBanAdded(const Ban& ban) {
  RAMPART_LOG(platform::LogLevel::Info, "security", "banned %s for %llds (%s)",
              ban.address.str().c_str(), static_cast<long long>(ban.expires_unix_s - nowUnix()),
              ban.reason.c_str());
  metrics_.banEvent("added", ban.reason);
  metrics_.setBansActive(bans_.size());
}

void SignallingGuard::onBanRemoved(const Ban& ban, const char* why) {
  RAMPART_LOG(platform::LogLevel::Info, "security", "ban of %s %s", ban.address.str().c_str(), why);
  metrics_.banEvent(why, ban.reason);
  metrics_.setBansActive(bans_.size());
}

void SignallingGuard::sweep() {
  bans_.expire(nowUnix());
  metrics_.setTracked(limiter_.tracked(), limiter_.evictions());
  ++sweeps_;
  if (store_ && sweeps_ % 4 == 0) {
    store_->flush();  // at most once a second
  }
  if (geo_.enabled() && sweeps_ % 8 == 0) {
    geo_.reload();  // a replaced database is in use within about 2 s
  }
  sweep_timer_.expires_after(std::chrono::milliseconds(250));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      sweep();
    }
  });
}

}  // namespace rampart::cp::security
