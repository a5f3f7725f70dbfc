#pragma once
// REGISTER relay: a browser's or phone's REGISTER goes to the PBX registrar with the Contact
// replaced by Rampart's address on the registrar's realm (one Contact per user, so the PBX
// reaches every binding of a user through Rampart, which forks). Digest challenges and
// credentials pass through unchanged: Rampart never sees a password. A binding is kept with
// its expiry and tied to the client's connection (WSS/TCP: dropped when it closes) or NAT
// binding (UDP: the source address the REGISTER came from). When the last binding of a user
// goes (its connection closed, or it expired) the registrar is told at once: REGISTER with
// Expires: 0 for Rampart's Contact, carrying the client's last credentials (Rampart has no
// password; a registrar whose nonce has gone stale challenges it, which is counted, and its own
// binding then simply expires).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/steady_timer.hpp>

#include "b2bua/routing.h"
#include "b2bua/target_list.h"
#include "sip/message.h"
#include "txn/transaction_layer.h"

namespace rampart::cp {

struct Binding {
  std::string user;       // AOR user part
  uint32_t realm = 0;     // realm the client registered from
  Destination peer;       // where requests for it go (its connection or NAT address)
  sip::NameAddr contact;  // the client's own Contact (Request-URI of calls to it)
  std::string instance;   // RFC 5626 +sip.instance, when sent
  std::string reg_id;
  int64_t expires_at_s = 0;  // steady clock seconds
  std::string upstream_key;  // the registration toward the registrar that carries it
};

class RegistrationRelay {
 public:
  RegistrationRelay(boost::asio::io_context& io, TransactionLayer& txn, const Router& router,
                    TargetList& targets, prometheus::Registry& registry);

  /// Handles a REGISTER received in server transaction `txn`.
  void onRegister(uint64_t txn, const sip::Message& request, const Peer& from);

  /// Live bindings of `user` (expired ones are skipped).
  std::vector<Binding> lookup(const std::string& user) const;

  /// A client connection closed: its bindings go.
  void onConnectionClosed(uint64_t connection);

  std::size_t active() const { return bindings_.size(); }
  /// Every binding by its key (management API: list).
  const std::map<std::string, Binding>& bindings() const { return bindings_; }
  /// Removes the binding `key` (an operator's action); the registrar is told when it was the
  /// user's last. @return false when no binding has that key.
  bool remove(const std::string& key);

 private:
  struct Upstream {
    std::string call_id;  // our Call-ID toward the registrar for this client registration
    std::string from_tag;
    uint32_t cseq = 0;
    sip::Message sent;  // the last REGISTER relayed (without Via) and where it went
    Destination dst;
    sip::Message accepted;  // the last one the registrar accepted with a non-zero expiry
  };
  // onRegister's steps: refuse what cannot be relayed (answering it), describe the client's
  // binding, decide the expiry asked of the registrar, build the relayed REGISTER.
  bool admit(uint64_t txn, const sip::Message& req, const Peer& from, RouteMatch* route,
             platform::SignallingListener* listener);
  Binding candidateFor(const sip::Message& req, const Peer& from, uint32_t* requested,
                       std::string* key) const;
  uint32_t upstreamExpires(const sip::Message& req, const std::string& key,
                           uint32_t requested) const;
  sip::Message upstreamRequest(const sip::Message& req, const Peer& from, const Target& target,
                               const platform::SignallingListener& listener, uint32_t expires);
  std::string bindingKey(const sip::Message& req, const Peer& from, const sip::NameAddr& c) const;
  void relayResponse(uint64_t txn, const sip::Message& request, const Peer& from,
                     const sip::Message& response, const std::string& key, const Binding& candidate,
                     uint32_t requested);
  void relay(uint64_t txn, const sip::Message& req, const Peer& from, const Target& target,
             const platform::SignallingListener& listener);
  static std::string upstreamKey(const sip::Message& req, const Peer& from);
  // De-registration (registration_relay_drop.cc): bindings that go, and the registrar told
  // when a user has none left.
  void dropBindings(const std::function<bool(const Binding&)>& gone);
  void deregister(const std::string& upstream_key);
  void sweep();
  void updateGauge();

  boost::asio::io_context& io_;
  TransactionLayer& txn_;
  const Router& router_;
  TargetList& targets_;
  std::map<std::string, Binding> bindings_;
  std::map<std::string, Upstream> upstream_;  // by client Call-ID + source
  boost::asio::steady_timer sweep_timer_;
  prometheus::Gauge* active_gauge_;
  prometheus::Family<prometheus::Counter>* results_;
  prometheus::Family<prometheus::Counter>* deregistrations_;
};

}  // namespace rampart::cp
