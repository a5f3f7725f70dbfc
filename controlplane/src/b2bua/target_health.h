#pragma once
// OPTIONS health checks of every route target (RFC 3261 11): a target that answers anything
// but 503 is up; one that times out, cannot be reached or answers 503 is down until it answers
// again. New calls skip targets that are down (all down: they are tried anyway, in order).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/steady_timer.hpp>

#include "b2bua/routing.h"
#include "txn/transaction_layer.h"

namespace rampart::cp {

class TargetHealth {
 public:
  TargetHealth(boost::asio::io_context& io, TransactionLayer& txn, const Router& router,
               prometheus::Registry& registry, std::chrono::seconds interval);
  /// Checks exactly the targets of `router`'s routes (after a reload): new ones start up,
  /// gone ones are forgotten.
  void sync(const Router& router);
  void start();
  void stop();
  /// False only after a failed check (unknown targets count as up).
  bool up(const Target& t) const;
  /// `targets` reordered: up targets first, in their configured order.
  std::vector<Target> preferUp(const std::vector<Target>& targets) const;

 private:
  struct Entry {
    Target target;
    bool up = true;
    bool in_flight = false;
    prometheus::Gauge* gauge = nullptr;
  };
  static std::string key(const Target& t);
  void checkAll();
  void check(const std::string& key);

  TransactionLayer& txn_;
  std::chrono::seconds interval_;
  boost::asio::steady_timer timer_;
  std::map<std::string, Entry> entries_;
  prometheus::Family<prometheus::Gauge>* family_ = nullptr;
};

}  // namespace rampart::cp
