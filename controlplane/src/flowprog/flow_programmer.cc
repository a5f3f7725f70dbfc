#include "flowprog/flow_programmer.h"

#include <unistd.h>

#include <cstring>

#include <boost/asio/post.hpp>

#include <rampart/platform/log.h>

namespace rampart::cp {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kRetry{500};  // attach attempts twice a second
constexpr milliseconds kCheck{200};  // epoch/state/heartbeat check period
constexpr milliseconds kHandshakeTimeout{2000};
constexpr uint64_t kHeartbeatStaleNs = 3'000'000'000;
constexpr milliseconds kFastTick{1};   // while anything is outstanding
constexpr milliseconds kIdleTick{5};   // link up, nothing outstanding
constexpr uint32_t kEventBurst = 256;  // per worker per tick
constexpr uint32_t kPuntBurst = 64;

enum Outcome : size_t { kOk = 0, kRefused, kTimeout, kUnavailable, kOverloaded };
constexpr const char* kTypeNames[] = {"flow_add",  "flow_modify", "flow_del", "flow_query",
                                      "flow_dump", "flow_ice",    "other"};
constexpr const char* kResultNames[] = {"ok", "refused", "timeout", "unavailable", "overloaded"};

}  // namespace

FlowProgrammer::FlowProgrammer(boost::asio::io_context& io, std::string shm_name,
                               prometheus::Registry& registry, Options opts)
    : io_(io),
      shm_name_(std::move(shm_name)),
      opts_(opts),
      timer_(io),
      next_seq_(static_cast<uint32_t>(getpid()) << 8) {
  connected_gauge_ = &prometheus::BuildGauge()
                          .Name("rampart_cp_dataplane_connected")
                          .Help("1 while the control plane holds a handshaken dataplane link")
                          .Register(registry)
                          .Add({});
  epoch_gauge_ = &prometheus::BuildGauge()
                      .Name("rampart_cp_dataplane_epoch")
                      .Help("Epoch of the dataplane region currently attached")
                      .Register(registry)
                      .Add({});
  auto& hs = prometheus::BuildCounter()
                 .Name("rampart_cp_dataplane_handshakes_total")
                 .Help("Handshakes with the dataplane by result")
                 .Register(registry);
  handshakes_ = &hs.Add({{"result", "ok"}});
  handshake_failures_ = &hs.Add({{"result", "failed"}});
  restarts_seen_ = &prometheus::BuildCounter()
                        .Name("rampart_cp_dataplane_restarts_total")
                        .Help("Dataplane restarts (new epochs) noticed by the control plane")
                        .Register(registry)
                        .Add({});
  auto& cmds = prometheus::BuildCounter()
                   .Name("rampart_cp_dataplane_commands_total")
                   .Help(
                       "Commands sent to the dataplane by type and result (refused: the "
                       "dataplane answered with an error status)")
                   .Register(registry);
  for (size_t t = 0; t < kTypeLabels; ++t) {
    for (size_t r = 0; r < kResultLabels; ++r) {
      commands_[t][r] = &cmds.Add({{"type", kTypeNames[t]}, {"result", kResultNames[r]}});
    }
  }
  timeouts_ = &prometheus::BuildCounter()
                   .Name("rampart_cp_dataplane_command_timeouts_total")
                   .Help("Commands that got no answer within the command timeout")
                   .Register(registry)
                   .Add({});
  late_acks_ = &prometheus::BuildCounter()
                    .Name("rampart_cp_dataplane_late_acks_total")
                    .Help("Answers that arrived after their command timed out (ignored)")
                    .Register(registry)
                    .Add({});
  in_flight_ = &prometheus::BuildGauge()
                    .Name("rampart_cp_dataplane_commands_outstanding")
                    .Help("Commands submitted and not yet answered (backlogged or in flight)")
                    .Register(registry)
                    .Add({});
  backlog_family_ = &prometheus::BuildGauge()
                         .Name("rampart_cp_dataplane_backlog_depth")
                         .Help("Commands waiting for room in a worker's command ring")
                         .Register(registry);
  auto& ev = prometheus::BuildCounter()
                 .Name("rampart_cp_dataplane_events_total")
                 .Help("Unsolicited dataplane events and punted packets by type")
                 .Register(registry);
  ev_flow_idle_ = &ev.Add({{"type", "flow_idle"}});
  ev_ssrc_change_ = &ev.Add({{"type", "ssrc_change"}});
  ev_punt_ = &ev.Add({{"type", "punt"}});
  ev_ice_selected_ = &ev.Add({{"type", "ice_selected"}});
  ev_consent_expired_ = &ev.Add({{"type", "consent_expired"}});
  ev_dtmf_ = &ev.Add({{"type", "dtmf"}});
  ev_xcode_restart_ = &ev.Add({{"type", "xcode_restart"}});
  ev_unexpected_ = &ev.Add({{"type", "unexpected"}});
  ev_malformed_ = &ev.Add({{"type", "malformed"}});
  ev_unhandled_ = &prometheus::BuildCounter()
                       .Name("rampart_cp_dataplane_events_unhandled_total")
                       .Help("Events and punted packets consumed while no listener was set")
                       .Register(registry)
                       .Add({});
}

FlowProgrammer::FlowProgrammer(boost::asio::io_context& io, std::string shm_name,
                               prometheus::Registry& registry)
    : FlowProgrammer(io, std::move(shm_name), registry, Options{}) {}

FlowProgrammer::~FlowProgrammer() {
  listener_ = nullptr;  // the listener may be gone already
  stop();
}

uint32_t FlowProgrammer::workers() const { return client_ ? client_->workers() : 0; }

uint64_t FlowProgrammer::epoch() const { return client_ ? client_->epoch() : 0; }

std::vector<uint32_t> FlowProgrammer::flowsAtHandshake() const {
  return client_ ? client_->flowsAtHandshake() : std::vector<uint32_t>{};
}

std::shared_ptr<const platform::ShmRegion> FlowProgrammer::region() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!client_) {
    return nullptr;
  }
  // Aliasing pointer: keeps the client (and so its mapping) alive during a scrape.
  return {client_, &client_->region()};
}

void FlowProgrammer::start() {
  if (state_ != State::Stopped) {
    return;
  }
  state_ = State::Down;
  next_attempt_ = Clock::now();
  schedule(Clock::duration::zero());
}

void FlowProgrammer::stop() {
  if (state_ == State::Stopped) {
    return;
  }
  if (client_) {
    linkDown("control plane stopping", false, /*closing=*/true);
  }
  state_ = State::Stopped;
  ++timer_gen_;
  timer_armed_ = false;
  timer_.cancel();
}

void FlowProgrammer::wipe(Queued& q) {
  // The copy may hold SRTP keys; explicit_bzero is never optimised away.
  explicit_bzero(static_cast<void*>(&q), sizeof(Queued));
}

uint8_t FlowProgrammer::typeLabel(abi::MsgType t) {
  switch (t) {
    case abi::MsgType::FlowAdd: return 0;
    case abi::MsgType::FlowModify: return 1;
    case abi::MsgType::FlowDel: return 2;
    case abi::MsgType::FlowQuery: return 3;
    case abi::MsgType::FlowDump: return 4;
    case abi::MsgType::FlowIce: return 5;
    default: return kTypeLabels - 1;
  }
}

void FlowProgrammer::count(uint8_t type_label, size_t result) {
  commands_[type_label][result]->Increment();
}

// --- commands ------------------------------------------------------------------------------

Result<uint32_t> FlowProgrammer::submit(uint32_t worker, const abi::MsgHeader& msg,
                                        AckHandler done) {
  Pending p;
  p.kind = Kind::Command;
  // A caller that does not care about the answer may pass no handler.
  p.on_ack = done ? std::move(done) : [](Result<abi::Ack>) {};
  return enqueue(worker, msg, std::move(p));
}

Result<uint32_t> FlowProgrammer::submitIce(uint32_t worker, const abi::FlowIce& ice,
                                           AckHandler done) {
  abi::FlowIce m = ice;
  m.hdr.type = abi::MsgType::FlowIce;
  m.hdr.size = sizeof(m);
  auto seq = submit(worker, m.hdr, std::move(done));
  explicit_bzero(m.local_pwd, sizeof(m.local_pwd));
  return seq;
}

void FlowProgrammer::query(uint32_t worker, uint64_t flow, QueryHandler done) {
  abi::FlowQuery q{};
  q.hdr.type = abi::MsgType::FlowQuery;
  q.hdr.size = sizeof(q);
  q.hdr.flow = flow;
  if (!done) {
    done = [](Result<abi::FlowInfo>) {};
  }
  Pending p;
  p.kind = Kind::Query;
  p.on_query = done;
  auto seq = enqueue(worker, q.hdr, std::move(p));
  if (!seq) {
    boost::asio::post(io_, [done = std::move(done), e = seq.error()] { done(e); });
  }
}

void FlowProgrammer::dump(uint32_t worker, DumpHandler done) {
  abi::FlowDump d{};
  d.hdr.type = abi::MsgType::FlowDump;
  d.hdr.size = sizeof(d);
  if (!done) {
    done = [](Result<std::vector<abi::FlowInfo>>) {};
  }
  Pending p;
  p.kind = Kind::Dump;
  p.on_dump = done;
  auto seq = enqueue(worker, d.hdr, std::move(p));
  if (!seq) {
    boost::asio::post(io_, [done = std::move(done), e = seq.error()] { done(e); });
  }
}

Result<uint32_t> FlowProgrammer::enqueue(uint32_t worker, const abi::MsgHeader& msg, Pending p) {
  p.type_label = typeLabel(msg.type);
  if (msg.size < sizeof(abi::MsgHeader) || msg.size > abi::kCmdSlotSize) {
    return Error{ErrorCode::InvalidArgument,
                 "command size " + std::to_string(msg.size) + " does not fit a slot"};
  }
  if (state_ != State::Up) {
    // Never call back from inside submit(): the caller may hold state it is still updating.
    count(p.type_label, kUnavailable);
    boost::asio::post(io_, [p = std::move(p)]() mutable {
      const Error e{ErrorCode::Unavailable, "the dataplane link is down"};
      switch (p.kind) {
        case Kind::Command: p.on_ack(e); break;
        case Kind::Query: p.on_query(e); break;
        case Kind::Dump: p.on_dump(e); break;
      }
    });
    return next_seq_++;
  }
  if (worker >= client_->workers()) {
    return Error{ErrorCode::InvalidArgument, "no dataplane worker " + std::to_string(worker) +
                                                 " (the dataplane has " +
                                                 std::to_string(client_->workers()) + ")"};
  }
  std::deque<Queued>& backlog = backlog_[worker];
  if (backlog.size() >= opts_.backlog_limit) {
    count(p.type_label, kOverloaded);
    return Error{ErrorCode::Overloaded, "dataplane worker " + std::to_string(worker) +
                                            ": command backlog full (" +
                                            std::to_string(backlog.size()) + ")"};
  }
  const uint32_t seq = client_->reserveSeq();
  const uint64_t key = keyOf(worker, seq);
  bool sent = false;
  if (backlog.empty()) {
    // Nothing queued ahead of it: straight into the ring if there is room.
    auto r = client_->submitWithSeq(worker, msg, seq);
    if (r) {
      sent = true;
    } else if (r.error().code != ErrorCode::Overloaded) {
      return r.error();
    }
  }
  if (!sent) {
    Queued& q = backlog.emplace_back();
    q.key = key;
    std::memset(&q.slot, 0, sizeof(q.slot));
    std::memcpy(&q.slot, &msg, msg.size);
    q.slot.hdr.seq = seq;
    backlog_gauges_[worker]->Set(static_cast<double>(backlog.size()));
  }
  p.sent = sent;
  p.deadline = Clock::now() + opts_.command_timeout;
  deadlines_.emplace(p.deadline, key);
  pending_.emplace(key, std::move(p));
  in_flight_->Set(static_cast<double>(pending_.size()));
  schedule(kFastTick);
  return seq;
}

void FlowProgrammer::fail(Pending& p, const Error& e) {
  switch (p.kind) {
    case Kind::Command: p.on_ack(e); break;
    case Kind::Query: p.on_query(e); break;
    case Kind::Dump: p.on_dump(e); break;
  }
}

void FlowProgrammer::finish(Pending& p, const abi::Ack& a) {
  const bool ok = a.status == abi::kOk;
  switch (p.kind) {
    case Kind::Command:
      count(p.type_label, ok ? kOk : kRefused);
      p.on_ack(a);
      break;
    case Kind::Query:
      if (!ok) {
        count(p.type_label, kRefused);
        p.on_query(Error{platform::statusErrorCode(a.status),
                         "flow query: " + platform::statusText(a.status)});
      } else if (!p.info) {
        count(p.type_label, kRefused);
        p.on_query(Error{ErrorCode::Malformed, "flow query acknowledged without a FlowInfo"});
      } else {
        count(p.type_label, kOk);
        p.on_query(*p.info);
      }
      break;
    case Kind::Dump:
      // A dump ends with FlowDumpEnd; an Ack means the dataplane refused it.
      count(p.type_label, ok ? kOk : kRefused);
      if (ok) {
        p.on_dump(std::move(p.flows));
      } else {
        p.on_dump(Error{platform::statusErrorCode(a.status),
                        "flow dump: " + platform::statusText(a.status)});
      }
      break;
  }
}

// --- the loop ------------------------------------------------------------------------------

void FlowProgrammer::schedule(Clock::duration after) {
  if (state_ == State::Stopped) {
    return;
  }
  const auto when = Clock::now() + after;
  if (timer_armed_ && next_tick_ <= when) {
    return;  // an earlier tick is already due
  }
  next_tick_ = when;
  timer_armed_ = true;
  const uint64_t gen = ++timer_gen_;
  timer_.expires_at(when);
  std::weak_ptr<int> alive = alive_;
  timer_.async_wait([this, alive, gen](const boost::system::error_code& ec) {
    if (ec || alive.expired() || gen != timer_gen_) {
      return;  // cancelled, destroyed, or superseded by a later schedule()
    }
    timer_armed_ = false;
    tick();
  });
}

void FlowProgrammer::tick() {
  auto now = Clock::now();
  if (state_ == State::Down && now >= next_attempt_) {
    tryAttach();
  } else if (state_ == State::Handshaking) {
    pollHandshake();
  }
  bool busy = false;
  if (state_ == State::Up) {
    now = Clock::now();
    if (now >= next_check_) {
      next_check_ = now + kCheck;
      checkLiveness();
    }
  }
  if (state_ == State::Up) {
    drainBacklogs();
    busy = pollEvents();
    if (state_ == State::Up) {
      busy = pollPunts() || busy;
    }
    if (state_ == State::Up) {
      drainBacklogs();  // the dataplane may have made room meanwhile
      expire();
    }
  }
  switch (state_) {
    case State::Stopped: return;
    case State::Down: {
      auto wait = next_attempt_ - Clock::now();
      schedule(wait > Clock::duration::zero() ? wait : Clock::duration::zero());
      return;
    }
    case State::Handshaking: schedule(kFastTick); return;
    case State::Up: schedule(busy || !pending_.empty() ? kFastTick : kIdleTick); return;
  }
}

void FlowProgrammer::tryAttach() {
  next_attempt_ = Clock::now() + kRetry;
  auto c = platform::DataplaneClient::attach(shm_name_);
  if (!c) {
    handshake_failures_->Increment();
    // Log each distinct reason once, not twice a second.
    if (c.error().message != last_error_) {
      last_error_ = c.error().message;
      RAMPART_LOG(platform::LogLevel::Warn, "cp", "dataplane not available: %s",
                  last_error_.c_str());
    }
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    client_ = std::make_shared<platform::DataplaneClient>(std::move(c.value()));
  }
  ++link_generation_;
  state_ = State::Handshaking;
  handshake_deadline_ = Clock::now() + kHandshakeTimeout;
  pollHandshake();
}

void FlowProgrammer::pollHandshake() {
  auto client = client_;
  const uint64_t gen = link_generation_;
  auto r = client->pollHandshake([this, gen](const platform::EventView& ev) {
    if (gen == link_generation_) {
      deliverUnsolicited(ev);
    }
  });
  if (gen != link_generation_ || state_ != State::Handshaking) {
    return;  // a listener callback stopped us
  }
  std::string failure;
  if (!r) {
    failure = r.error().message;
  } else if (!*r) {
    if (Clock::now() < handshake_deadline_) {
      return;
    }
    failure = "the dataplane did not answer the handshake within " +
              std::to_string(kHandshakeTimeout.count()) + " ms";
  }
  if (!failure.empty()) {
    handshake_failures_->Increment();
    if (failure != last_error_) {
      last_error_ = failure;
      RAMPART_LOG(platform::LogLevel::Warn, "cp", "dataplane handshake failed: %s",
                  failure.c_str());
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      client_.reset();  // releases the region lock until the next attempt
    }
    ++link_generation_;
    state_ = State::Down;
    next_attempt_ = Clock::now() + kRetry;
    return;
  }

  // Handshaken with every worker.
  const uint32_t n = client->workers();
  backlog_.assign(n, {});
  backlog_gauges_.assign(n, nullptr);
  for (uint32_t w = 0; w < n; ++w) {
    backlog_gauges_[w] = &backlog_family_->Add({{"worker", std::to_string(w)}});
    backlog_gauges_[w]->Set(0);
  }
  const uint64_t epoch = client->epoch();
  const bool new_epoch = last_epoch_ != 0 && epoch != last_epoch_;
  last_epoch_ = epoch;
  uint32_t flows = 0;
  for (uint32_t f : client->flowsAtHandshake()) {
    flows += f;
  }
  RAMPART_LOG(platform::LogLevel::Info, "cp",
              "dataplane attached: region %s epoch %llu%s, %u workers, %u live flows",
              shm_name_.c_str(), static_cast<unsigned long long>(epoch), new_epoch ? " (new)" : "",
              n, flows);
  last_error_.clear();
  handshakes_->Increment();
  epoch_gauge_->Set(static_cast<double>(epoch));
  connected_gauge_->Set(1);
  state_ = State::Up;
  next_check_ = Clock::now() + kCheck;
  if (listener_) {
    listener_->onDataplaneUp(epoch, new_epoch);
  }
}

void FlowProgrammer::checkLiveness() {
  const auto& header = client_->region().header();
  if (header.state.load(std::memory_order_acquire) !=
      static_cast<uint32_t>(platform::RegionState::Ready)) {
    linkDown("dataplane is stopping", false);
    return;
  }
  if (client_->dataplaneRestarted()) {
    restarts_seen_->Increment();
    linkDown("dataplane restarted (new epoch)", true);
    return;
  }
  const uint64_t now = platform::monotonicNs();
  const uint64_t beat = header.heartbeat_ns.load(std::memory_order_relaxed);
  if (now > beat && now - beat > kHeartbeatStaleNs) {
    linkDown("dataplane heartbeat stopped", false);
    return;
  }
}

void FlowProgrammer::linkDown(const std::string& why, bool retry_now, bool closing) {
  const bool was_up = state_ == State::Up;
  if (closing) {
    RAMPART_LOG(platform::LogLevel::Info, "cp", "dataplane link closed: %s", why.c_str());
  } else if (was_up) {
    RAMPART_LOG(platform::LogLevel::Warn, "cp", "dataplane link lost: %s", why.c_str());
  }
  connected_gauge_->Set(0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    client_.reset();
  }
  ++link_generation_;
  state_ = closing ? State::Stopped : State::Down;
  next_attempt_ = retry_now ? Clock::now() : Clock::now() + kRetry;
  for (size_t w = 0; w < backlog_.size(); ++w) {
    for (Queued& q : backlog_[w]) {
      wipe(q);
    }
    backlog_[w].clear();
    backlog_gauges_[w]->Set(0);
  }
  deadlines_ = {};
  // Callbacks may submit again (and be refused as Unavailable): work on a private copy.
  auto failed = std::move(pending_);
  pending_.clear();
  in_flight_->Set(0);
  const Error e{ErrorCode::Unavailable, "dataplane link lost: " + why};
  for (auto& [key, p] : failed) {
    count(p.type_label, kUnavailable);
    fail(p, e);
  }
  if (was_up && listener_) {
    listener_->onDataplaneDown();
  }
}

void FlowProgrammer::drainBacklogs() {
  auto client = client_;
  for (uint32_t w = 0; w < backlog_.size(); ++w) {
    std::deque<Queued>& backlog = backlog_[w];
    const size_t before = backlog.size();
    while (!backlog.empty()) {
      Queued& q = backlog.front();
      auto it = pending_.find(q.key);
      if (it != pending_.end()) {
        auto r = client->submitWithSeq(w, q.slot.hdr, static_cast<uint32_t>(q.key));
        if (!r && r.error().code == ErrorCode::Overloaded) {
          break;  // still no room; keep the order
        }
        if (r) {
          it->second.sent = true;
        } else {
          Pending p = std::move(it->second);
          pending_.erase(it);
          count(p.type_label, kRefused);
          fail(p, r.error());
        }
      }
      // Sent, failed, or timed out while waiting: it leaves the backlog.
      wipe(q);
      backlog.pop_front();
    }
    if (backlog.size() != before) {
      backlog_gauges_[w]->Set(static_cast<double>(backlog.size()));
    }
  }
  in_flight_->Set(static_cast<double>(pending_.size()));
}

void FlowProgrammer::expire() {
  const auto now = Clock::now();
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    const uint64_t key = deadlines_.top().second;
    deadlines_.pop();
    auto it = pending_.find(key);
    if (it == pending_.end()) {
      continue;  // answered already
    }
    if (it->second.deadline > now) {
      deadlines_.emplace(it->second.deadline, key);  // a dump still making progress
      continue;
    }
    Pending p = std::move(it->second);
    pending_.erase(it);
    timeouts_->Increment();
    count(p.type_label, kTimeout);
    fail(p, Error{ErrorCode::Timeout, "no answer from dataplane worker " +
                                          std::to_string(key >> 32) + " within " +
                                          std::to_string(opts_.command_timeout.count()) + " ms"});
  }
  in_flight_->Set(static_cast<double>(pending_.size()));
}

bool FlowProgrammer::pollEvents() {
  auto client = client_;
  const uint64_t gen = link_generation_;
  bool any = false;
  for (uint32_t w = 0; w < client->workers() && gen == link_generation_; ++w) {
    const uint32_t n = client->pollEvents(
        w,
        [this, gen](const platform::EventView& ev) {
          if (gen != link_generation_) {
            return false;  // a callback dropped the link: leave the rest
          }
          return onEvent(ev);
        },
        kEventBurst);
    any = any || n > 0;
  }
  return any;
}

bool FlowProgrammer::pollPunts() {
  auto client = client_;
  const uint64_t gen = link_generation_;
  bool any = false;
  for (uint32_t w = 0; w < client->workers() && gen == link_generation_; ++w) {
    const uint32_t n = client->pollPunted(
        w,
        [this, gen](const platform::PuntView& p) {
          if (gen != link_generation_) {
            return false;
          }
          ev_punt_->Increment();
          if (listener_) {
            listener_->onPunt(p.worker, p.meta, p.payload);
          } else {
            ev_unhandled_->Increment();
          }
          return true;
        },
        kPuntBurst);
    any = any || n > 0;
  }
  return any;
}

bool FlowProgrammer::onEvent(const platform::EventView& ev) {
  if (!ev.wellFormed()) {
    ev_malformed_->Increment();
    RAMPART_LOG_RATELIMITED(platform::LogLevel::Warn, "cp", 1,
                            "dataplane worker %u sent a malformed event (type %u, size %u)",
                            ev.worker, static_cast<unsigned>(ev.header.type),
                            static_cast<unsigned>(ev.header.size));
    return true;
  }
  const uint64_t key = keyOf(ev.worker, ev.header.seq);
  switch (ev.header.type) {
    case abi::MsgType::Ack: {
      auto it = pending_.find(key);
      if (it == pending_.end() || !it->second.sent) {
        late_acks_->Increment();
        return true;
      }
      Pending p = std::move(it->second);
      pending_.erase(it);
      finish(p, ev.as<abi::Ack>());
      return true;
    }
    case abi::MsgType::FlowInfo: {
      auto it = pending_.find(key);
      if (it == pending_.end()) {
        return true;  // part of an answer that timed out
      }
      Pending& p = it->second;
      if (p.kind == Kind::Query) {
        p.info = ev.as<abi::FlowInfo>();
      } else if (p.kind == Kind::Dump) {
        p.flows.push_back(ev.as<abi::FlowInfo>());
        p.deadline = Clock::now() + opts_.command_timeout;  // progress
      } else {
        ev_unexpected_->Increment();
      }
      return true;
    }
    case abi::MsgType::FlowDumpEnd: {
      auto it = pending_.find(key);
      if (it == pending_.end() || it->second.kind != Kind::Dump) {
        late_acks_->Increment();
        return true;
      }
      Pending p = std::move(it->second);
      pending_.erase(it);
      count(p.type_label, kOk);
      p.on_dump(std::move(p.flows));
      return true;
    }
    case abi::MsgType::FlowIdle:
    case abi::MsgType::SsrcChange:
    case abi::MsgType::IceSelected:
    case abi::MsgType::ConsentExpired:
    case abi::MsgType::DtmfEvent:
    case abi::MsgType::XcodeRestart: deliverUnsolicited(ev); return true;
    default: ev_unexpected_->Increment(); return true;
  }
}

void FlowProgrammer::deliverUnsolicited(const platform::EventView& ev) {
  if (!ev.wellFormed()) {
    ev_malformed_->Increment();
    return;
  }
  if (ev.header.type == abi::MsgType::FlowIdle) {
    ev_flow_idle_->Increment();
    if (listener_) {
      listener_->onFlowIdle(ev.worker, ev.as<abi::FlowIdle>());
      return;
    }
  } else if (ev.header.type == abi::MsgType::SsrcChange) {
    ev_ssrc_change_->Increment();
    if (listener_) {
      listener_->onSsrcChange(ev.worker, ev.as<abi::SsrcChange>());
      return;
    }
  } else if (ev.header.type == abi::MsgType::IceSelected) {
    ev_ice_selected_->Increment();
    if (listener_) {
      listener_->onIceSelected(ev.worker, ev.as<abi::IceSelected>());
      return;
    }
  } else if (ev.header.type == abi::MsgType::ConsentExpired) {
    ev_consent_expired_->Increment();
    if (listener_) {
      listener_->onConsentExpired(ev.worker, ev.as<abi::ConsentExpired>());
      return;
    }
  } else if (ev.header.type == abi::MsgType::DtmfEvent) {
    ev_dtmf_->Increment();
    if (listener_) {
      listener_->onDtmfEvent(ev.worker, ev.as<abi::DtmfEvent>());
      return;
    }
  } else if (ev.header.type == abi::MsgType::XcodeRestart) {
    ev_xcode_restart_->Increment();
    if (listener_) {
      listener_->onXcodeRestart(ev.worker, ev.as<abi::XcodeRestart>());
      return;
    }
  } else {
    ev_unexpected_->Increment();
    return;
  }
  ev_unhandled_->Increment();
  if (!warned_no_listener_) {
    warned_no_listener_ = true;
    RAMPART_LOG(platform::LogLevel::Warn, "cp",
                "dataplane events arrive but no listener is set; they are counted only");
  }
}

bool FlowProgrammer::inject(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload) {
  return state_ == State::Up && client_->inject(worker, meta, payload);
}

}  // namespace rampart::cp
