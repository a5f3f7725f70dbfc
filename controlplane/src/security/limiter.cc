#include "security/limiter.h"

#include <cmath>

namespace rampart::cp::security {

const char* reasonName(Reason r) {
  static constexpr const char* kNames[] = {"banned",
                                           "denied",
                                           "not_allowed",
                                           "geo",
                                           "scanner",
                                           "source_rate",
                                           "connection_rate",
                                           "connections_per_source",
                                           "connections_total",
                                           "invite_rate",
                                           "register_rate",
                                           "aor_rate",
                                           "realm_rate",
                                           "global_rate"};
  auto i = static_cast<std::size_t>(r);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

bool Limiter::Window::hit(int64_t now_us, uint32_t window_s, uint32_t max) {
  if (count == 0 || now_us - start_us > int64_t{window_s} * 1'000'000) {
    start_us = now_us;
    count = 0;
  }
  if (++count >= max) {
    count = 0;
    return true;
  }
  return false;
}

Limiter::Limiter(const platform::Config& config)
    : policy_(config.security),
      sources_(config.security.max_tracked_sources),
      aors_(config.security.max_tracked_sources) {
  reconfigure(config);
}

void Limiter::reconfigure(const platform::Config& config) {
  allow_ = CidrSet(config.security.allow);
  deny_ = CidrSet(config.security.deny);
  realms_.clear();
  const platform::SecurityPolicy& g = config.security;
  std::vector<platform::Realm> fallback(config.realms.empty() ? 1 : 0);
  for (const platform::Realm& r : config.realms.empty() ? fallback : config.realms) {
    const platform::RealmSecurity& s = r.security;
    RealmPolicy p;
    p.allow = CidrSet(s.allow);
    p.deny = CidrSet(s.deny);
    p.requests_per_source = s.requests_per_source.value_or(g.requests_per_source);
    p.invite_per_source = s.invite_per_source.value_or(g.invite_per_source);
    p.register_per_source = s.register_per_source.value_or(g.register_per_source);
    p.requests = s.requests.value_or(platform::RateLimit{});
    realms_.push_back(std::move(p));
  }
}

bool Limiter::accessRefused(const AddressKey& source, const RealmPolicy& realm, Verdict* v) const {
  v->action = Action::Drop;
  if (deny_.contains(source) || realm.deny.contains(source)) {
    v->reason = Reason::Denied;
    return true;
  }
  if ((!allow_.empty() && !allow_.contains(source)) ||
      (!realm.allow.empty() && !realm.allow.contains(source))) {
    v->reason = Reason::NotAllowed;
    return true;
  }
  v->action = Action::Pass;
  return false;
}

bool Limiter::isScanner(std::string_view user_agent) const {
  if (user_agent.empty()) {
    return false;
  }
  for (const std::string& sig : policy_.scanner_user_agents) {
    if (containsNoCase(user_agent, sig)) {
      return true;
    }
  }
  return false;
}

Verdict Limiter::check(const AddressKey& source, uint32_t realm, const RequestPeek& peek,
                       int64_t now_us) {
  Verdict v;
  RealmPolicy& rp = realms_[realm < realms_.size() ? realm : 0];
  if (accessRefused(source, rp, &v)) {
    return v;
  }
  if (!peek.request) {
    return v;  // responses belong to our own client transactions
  }
  if (isScanner(peek.user_agent)) {
    v.action = Action::Drop;
    v.reason = Reason::Scanner;
    return v;
  }
  SourceState& s = sources_.touch(source);
  Reason r = bucketRefusal(s, rp, peek, now_us);
  if (r == Reason::Count) {
    return v;
  }
  return refuse(s, r, peek, now_us);
}

// The first bucket that has no token for this request, or Reason::Count when all had one.
Reason Limiter::bucketRefusal(SourceState& s, RealmPolicy& realm, const RequestPeek& peek,
                              int64_t now) {
  if (!s.requests.take(realm.requests_per_source, now)) {
    return Reason::SourceRate;
  }
  if (peek.method == Method::Invite && !s.invites.take(realm.invite_per_source, now)) {
    return Reason::InviteRate;
  }
  if (peek.method == Method::Register && !s.registers.take(realm.register_per_source, now)) {
    return Reason::RegisterRate;
  }
  if (!peek.aor.empty() &&
      !aors_.touch(std::string(peek.aor.substr(0, 256))).take(policy_.per_aor, now)) {
    return Reason::AorRate;
  }
  if (!realm.bucket.take(realm.requests, now)) {
    return Reason::RealmRate;
  }
  if (peek.method == Method::Invite && !global_invites_.take(policy_.invite_global, now)) {
    return Reason::GlobalRate;
  }
  return Reason::Count;
}

Verdict Limiter::refuse(SourceState& s, Reason reason, const RequestPeek& peek, int64_t now_us) {
  Verdict v;
  v.reason = reason;
  bool own_fault = reason != Reason::RealmRate && reason != Reason::GlobalRate;
  if (own_fault) {
    const platform::BanPolicy& b = policy_.ban;
    v.ban = s.rejections.hit(now_us, b.window_s, b.after_rejections);
  }
  int64_t second = now_us / 1'000'000;
  if (second != s.reply_second) {
    s.reply_second = second;
    s.replies = 0;
  }
  bool answerable = peek.method != Method::Ack && !v.ban;
  if (answerable && s.replies < policy_.replies_per_source) {
    ++s.replies;
    v.action = Action::Reply;
    v.retry_after_s = 1;
  } else {
    v.action = Action::Drop;
  }
  return v;
}

bool Limiter::authFailure(const AddressKey& source, int64_t now_us) {
  const platform::FailureLimit& f = policy_.auth_failures;
  return sources_.touch(source).auth.hit(now_us, f.window_s, f.max);
}

Reason Limiter::admitConnection(const AddressKey& source, uint32_t realm, int64_t now_us) {
  Verdict v;
  if (accessRefused(source, realms_[realm < realms_.size() ? realm : 0], &v)) {
    return v.reason;
  }
  if (!sources_.touch(source).connections.take(policy_.connections.new_per_source, now_us)) {
    return Reason::ConnectionRate;
  }
  return Reason::Count;
}

bool Limiter::jwtFailure(const AddressKey& source, int64_t now_us) {
  const platform::FailureLimit& f = policy_.jwt_failures;
  return sources_.touch(source).jwt.hit(now_us, f.window_s, f.max);
}

}  // namespace rampart::cp::security
