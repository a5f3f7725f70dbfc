#pragma once
// OPTIONS health checks of every route target (RFC 3261 11): a target that answers anything
// but 503 is up; one that times out, cannot be reached or answers 503 is down until it answers
// again (none at all when the interval is 0: every target counts as up). A host-name target is
// resolved (RFC 3263, sip/locator.h) every round and each address it resolves to is checked on its
// own: the name is up while any of them is, and calls walk the addresses that are up first
// (TargetList expands, preferUp orders). New calls skip targets that are down (all down: they are
// tried anyway, in order).
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/steady_timer.hpp>

#include "b2bua/routing.h"
#include "sip/locator.h"
#include "txn/transaction_layer.h"

namespace rampart::cp {

class TargetHealth {
 public:
  TargetHealth(boost::asio::io_context& io, TransactionLayer& txn, sip::Locator& locator,
               const Router& router, prometheus::Registry& registry, std::chrono::seconds interval);
  /// Checks exactly the targets of `router`'s routes (after a reload): new ones start up and,
  /// once started, are checked at once; gone ones are forgotten.
  void sync(const Router& router);
  void start();
  void stop();
  /// A configured target: false after a failed round (a host name: no address resolved or
  /// none answered). A resolved address (TargetList's output): false after its own failed
  /// check. Anything never checked counts as up.
  bool up(const Target& t) const;
  /// `targets` reordered: up targets first, in their configured order.
  std::vector<Target> preferUp(const std::vector<Target>& targets) const;
  /// The addresses the last round checked for a configured target, with their state.
  std::vector<std::pair<std::string, bool>> addresses(const Target& t) const;

 private:
  struct Entry {
    Target target;
    bool up = true;
    bool in_flight = false;          // resolving, or OPTIONS outstanding
    uint64_t round = 0;              // answers of an older round are ignored
    std::size_t pending = 0;         // OPTIONS outstanding in this round
    bool any_up = false;             // some address answered in this round
    std::vector<std::string> dests;  // destination keys checked in the last round
    prometheus::Gauge* gauge = nullptr;
  };
  static std::string destKey(const Destination& d);
  static std::string targetKey(const Target& t);
  void checkAll();
  void check(const std::string& key);
  void probe(const std::string& key, std::vector<Destination> dests);
  void sendOptions(const Target& target, const Destination& dst, std::function<void(bool)> done);
  void endRound(Entry& e, bool up);
  void pruneDestinations();

  TransactionLayer& txn_;
  sip::Locator& locator_;
  std::chrono::seconds interval_;
  boost::asio::steady_timer timer_;
  bool started_ = false;
  std::map<std::string, Entry> entries_;  // by targetKey
  std::map<std::string, bool> dest_up_;   // by destKey, every address checked
  prometheus::Family<prometheus::Gauge>* family_ = nullptr;
};

}  // namespace rampart::cp
