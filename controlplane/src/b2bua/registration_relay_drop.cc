// Bindings that go without their client saying so (connection closed, expiry), and the
// upstream de-registration when a user has no binding left: otherwise the registrar would keep
// routing calls to Rampart's Contact for that user until its own expiry, and Rampart would
// answer each of them 480.
#include <algorithm>
#include <set>

#include <rampart/platform/log.h>

#include "b2bua/registration_relay.h"

namespace rampart::cp {

bool RegistrationRelay::remove(const std::string& key) {
  auto it = bindings_.find(key);
  if (it == bindings_.end()) {
    return false;
  }
  const Binding* target = &it->second;
  dropBindings([target](const Binding& b) { return &b == target; });
  updateGauge();
  return true;
}

void RegistrationRelay::dropBindings(const std::function<bool(const Binding&)>& gone) {
  std::set<std::string> users;
  std::set<std::string> upstreams;
  std::map<std::string, std::string> upstream_of;  // user -> one of its registrations
  for (auto it = bindings_.begin(); it != bindings_.end();) {
    if (gone(it->second)) {
      users.insert(it->second.user);
      upstreams.insert(it->second.upstream_key);
      upstream_of[it->second.user] = it->second.upstream_key;
      it = bindings_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& user : users) {
    bool left = std::any_of(bindings_.begin(), bindings_.end(),
                            [&](const auto& kv) { return kv.second.user == user; });
    if (!left) {
      deregister(upstream_of[user]);
    }
  }
  // A registration no binding uses any more is forgotten (a phone that rebooted comes back
  // with a new Call-ID, so nothing else would ever remove it).
  for (const auto& key : upstreams) {
    bool used = std::any_of(bindings_.begin(), bindings_.end(),
                            [&](const auto& kv) { return kv.second.upstream_key == key; });
    if (!used) {
      upstream_.erase(key);
    }
  }
  updateGauge();
}

// The accepted REGISTER again, with the next CSeq and Expires: 0 (RFC 3261 10.2.2).
void RegistrationRelay::deregister(const std::string& upstream_key) {
  auto it = upstream_.find(upstream_key);
  if (it == upstream_.end() || it->second.accepted.method.empty()) {
    return;
  }
  Upstream& up = it->second;
  sip::Message m = up.accepted;
  m.vias.clear();
  m.cseq = ++up.cseq;
  m.expires = 0;
  for (auto& c : m.contacts) {
    c.params.clear();
  }
  up.accepted = sip::Message{};
  RAMPART_LOG(platform::LogLevel::Info, "registrar", "%s has no binding left: de-registering",
              m.to.uri.user.c_str());
  txn_.sendRequest(std::move(m), up.dst, [this](const TransactionLayer::ClientEvent& ev) {
    if (ev.response && (ev.response->status < 200 || ev.retransmission)) {
      return;
    }
    int status = ev.response ? ev.response->status : 0;
    const char* result = status >= 200 && status < 300    ? "ok"
                         : status == 401 || status == 407 ? "challenged"
                                                          : "failed";
    deregistrations_->Add({{"result", result}}).Increment();
  });
}

}  // namespace rampart::cp
