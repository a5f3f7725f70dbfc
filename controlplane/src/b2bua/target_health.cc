#include "b2bua/target_health.h"

#include <rampart/platform/log.h>

namespace rampart::cp {

TargetHealth::TargetHealth(boost::asio::io_context& io, TransactionLayer& txn, const Router& router,
                           prometheus::Registry& registry, std::chrono::seconds interval)
    : txn_(txn), interval_(interval), timer_(io) {
  family_ = &prometheus::BuildGauge()
                 .Name("rampart_cp_target_up")
                 .Help("1 while a route target answers OPTIONS health checks")
                 .Register(registry);
  sync(router);
}

void TargetHealth::sync(const Router& router) {
  std::map<std::string, Target> wanted;
  for (const auto& route : router.routes()) {
    for (const auto& t : route.targets) {
      if (!t.needs_dns) {  // a name's addresses change with DNS: failover covers those (docs)
        wanted.emplace(key(t), t);
      }
    }
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (wanted.count(it->first) == 0) {
      family_->Remove(it->second.gauge);
      it = entries_.erase(it);  // an OPTIONS in flight finds no entry and is ignored
    } else {
      ++it;
    }
  }
  for (auto& [k, t] : wanted) {
    if (entries_.count(k) == 0) {
      Entry e;
      e.target = t;
      e.gauge = &family_->Add({{"target", t.uri.str()}});
      e.gauge->Set(1);
      entries_.emplace(k, std::move(e));
    }
  }
}

std::string TargetHealth::key(const Target& t) {
  return std::string(platform::transportName(t.dst.transport)) + ":" + t.dst.address.to_string() +
         ":" + std::to_string(t.dst.port);
}

void TargetHealth::start() { checkAll(); }

void TargetHealth::stop() { timer_.cancel(); }

bool TargetHealth::up(const Target& t) const {
  auto it = entries_.find(key(t));
  return it == entries_.end() || it->second.up;
}

std::vector<Target> TargetHealth::preferUp(const std::vector<Target>& targets) const {
  std::vector<Target> out;
  for (const auto& t : targets) {
    if (up(t)) {
      out.push_back(t);
    }
  }
  for (const auto& t : targets) {
    if (!up(t)) {
      out.push_back(t);
    }
  }
  return out;
}

void TargetHealth::checkAll() {
  for (auto& [k, e] : entries_) {
    check(k);
  }
  timer_.expires_after(interval_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      checkAll();
    }
  });
}

void TargetHealth::check(const std::string& k) {
  Entry& e = entries_.at(k);
  if (e.in_flight) {
    return;
  }
  e.in_flight = true;
  sip::Message m;
  m.method = "OPTIONS";
  m.request_uri = e.target.uri;
  m.from.uri.user = "rampart";
  m.from.uri.host = e.target.uri.host;
  m.from.tag = sip::randomToken(10);
  m.to.uri = e.target.uri;
  m.call_id = sip::randomToken(20) + "@rampart";
  m.cseq = 1;
  m.cseq_method = "OPTIONS";
  txn_.sendRequest(std::move(m), e.target.dst, [this, k](const TransactionLayer::ClientEvent& ev) {
    auto it = entries_.find(k);
    if (it == entries_.end()) {
      return;
    }
    Entry& en = it->second;
    if (ev.response && ev.response->status < 200) {
      return;
    }
    en.in_flight = false;
    bool up = ev.response && ev.response->status != 503;
    if (up != en.up) {
      RAMPART_LOG(platform::LogLevel::Warn, "routing", "target %s is %s",
                  en.target.uri.str().c_str(), up ? "up again" : "down");
    }
    en.up = up;
    en.gauge->Set(up ? 1 : 0);
  });
}

}  // namespace rampart::cp
