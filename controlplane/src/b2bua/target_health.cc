#include "b2bua/target_health.h"

#include <set>

#include <rampart/platform/log.h>

namespace rampart::cp {

TargetHealth::TargetHealth(boost::asio::io_context& io, TransactionLayer& txn,
                           sip::Locator& locator, const Router& router,
                           prometheus::Registry& registry, std::chrono::seconds interval)
    : txn_(txn), locator_(locator), interval_(interval), timer_(io) {
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
      wanted.emplace(targetKey(t), t);
    }
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (wanted.count(it->first) == 0) {
      family_->Remove(it->second.gauge);
      it = entries_.erase(it);  // an answer still in flight finds no entry and is ignored
    } else {
      ++it;
    }
  }
  for (auto& [k, t] : wanted) {
    if (entries_.count(k) != 0) {
      continue;
    }
    Entry e;
    e.target = t;
    e.gauge = &family_->Add({{"target", t.uri.str()}});
    e.gauge->Set(1);
    entries_.emplace(k, std::move(e));
    if (started_) {
      check(k);  // a target added by a reload is known at once, not an interval later
    }
  }
  pruneDestinations();
}

std::string TargetHealth::destKey(const Destination& d) {
  return std::string(platform::transportName(d.transport)) + ":" + d.address.to_string() + ":" +
         std::to_string(d.port);
}

std::string TargetHealth::targetKey(const Target& t) {
  if (t.needs_dns) {
    return "name:" + std::to_string(t.dst.realm) + ":" + t.uri.str();
  }
  return destKey(t.dst);
}

void TargetHealth::start() {
  if (interval_.count() == 0) {
    return;  // sip.options_interval_s 0: no checks, every target counts as up
  }
  started_ = true;
  checkAll();
}

void TargetHealth::stop() {
  started_ = false;
  timer_.cancel();
}

bool TargetHealth::up(const Target& t) const {
  if (t.needs_dns) {
    auto it = entries_.find(targetKey(t));
    return it == entries_.end() || it->second.up;
  }
  auto it = dest_up_.find(destKey(t.dst));
  return it == dest_up_.end() || it->second;
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

std::vector<std::pair<std::string, bool>> TargetHealth::addresses(const Target& t) const {
  std::vector<std::pair<std::string, bool>> out;
  auto it = entries_.find(targetKey(t));
  if (it == entries_.end()) {
    return out;
  }
  for (const auto& k : it->second.dests) {
    auto d = dest_up_.find(k);
    out.emplace_back(k, d == dest_up_.end() || d->second);
  }
  return out;
}

void TargetHealth::checkAll() {
  pruneDestinations();
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

// One round for one target: resolve it (a literal resolves to itself), then probe each address.
void TargetHealth::check(const std::string& key) {
  Entry& e = entries_.at(key);
  if (e.in_flight) {
    return;
  }
  e.in_flight = true;
  uint64_t round = ++e.round;
  if (!e.target.needs_dns) {
    probe(key, {e.target.dst});
    return;
  }
  locator_.locate(e.target.uri, e.target.dst.realm,
                  [this, key, round](std::vector<Destination> dests) {
                    auto it = entries_.find(key);
                    if (it == entries_.end() || it->second.round != round) {
                      return;
                    }
                    if (dests.empty()) {  // counted by the locator as a DNS failure
                      it->second.dests.clear();
                      endRound(it->second, false);
                      return;
                    }
                    probe(key, std::move(dests));
                  });
}

void TargetHealth::probe(const std::string& key, std::vector<Destination> dests) {
  Entry& e = entries_.at(key);
  e.dests.clear();
  e.pending = dests.size();
  e.any_up = false;
  uint64_t round = e.round;
  for (const auto& d : dests) {
    std::string dk = destKey(d);
    e.dests.push_back(dk);
    sendOptions(e.target, d, [this, key, round, dk](bool up) {
      dest_up_[dk] = up;
      auto it = entries_.find(key);
      if (it == entries_.end() || it->second.round != round) {
        return;
      }
      Entry& en = it->second;
      en.any_up = en.any_up || up;
      if (--en.pending == 0) {
        endRound(en, en.any_up);
      }
    });
  }
}

void TargetHealth::sendOptions(const Target& target, const Destination& dst,
                               std::function<void(bool)> done) {
  sip::Message m;
  m.method = "OPTIONS";
  m.request_uri = target.uri;
  m.from.uri.user = "rampart";
  m.from.uri.host = target.uri.host;
  m.from.tag = sip::randomToken(10);
  m.to.uri = target.uri;
  m.call_id = sip::randomToken(20) + "@rampart";
  m.cseq = 1;
  m.cseq_method = "OPTIONS";
  txn_.sendRequest(std::move(m), dst,
                   [done = std::move(done)](const TransactionLayer::ClientEvent& ev) {
                     if (ev.response && ev.response->status < 200) {
                       return;  // a provisional answer: the final one decides
                     }
                     done(ev.response && ev.response->status != 503);
                   });
}

void TargetHealth::endRound(Entry& e, bool up) {
  e.in_flight = false;
  if (up != e.up) {
    RAMPART_LOG(platform::LogLevel::Warn, "routing", "target %s is %s", e.target.uri.str().c_str(),
                up ? "up again" : "down");
  }
  e.up = up;
  e.gauge->Set(up ? 1 : 0);
}

// Addresses a name no longer resolves to (and gone targets' addresses) are forgotten.
void TargetHealth::pruneDestinations() {
  std::set<std::string> live;
  for (const auto& [k, e] : entries_) {
    live.insert(e.dests.begin(), e.dests.end());
    if (!e.target.needs_dns) {
      live.insert(k);
    }
  }
  for (auto it = dest_up_.begin(); it != dest_up_.end();) {
    it = live.count(it->first) != 0 ? std::next(it) : dest_up_.erase(it);
  }
}

}  // namespace rampart::cp
