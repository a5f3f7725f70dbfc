// FlowProgrammer against a region this test creates and a thread playing the dataplane's ring
// protocol (fake_dataplane.h): Acks matched by seq, timeouts and late Acks, the backlog when
// the command ring is full (drained in order, Overloaded only when the backlog is full),
// events never lost when more than the event ring holds arrive, link loss failing everything
// outstanding with Unavailable, reconnection after a new epoch, a refused handshake retried.
// Every wait is bounded.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>

#include "fake_dataplane.h"
#include "flowprog/flow_programmer.h"

namespace rampart::cp {
namespace {

using namespace std::chrono_literals;
using testing::FakeDataplane;

std::string uniqueName(const char* tag) {
  return "/rampart-test-fp-" + std::string(tag) + "-" + std::to_string(getpid());
}

platform::RegionGeometry smallGeometry() {
  platform::RegionGeometry g;
  g.n_workers = 1;
  g.cmd_slots = 8;
  g.evt_slots = 16;
  g.punt_slots = 8;
  g.inject_slots = 8;
  return g;
}

// Runs the loop until `pred` holds or `limit` passes. @return pred().
bool runUntil(boost::asio::io_context& io, const std::function<bool()>& pred,
              std::chrono::milliseconds limit = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    io.restart();
    io.run_for(2ms);
  }
  return true;
}

double metric(prometheus::Registry& reg, const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  double sum = 0;
  for (const auto& fam : reg.Collect()) {
    if (fam.name != name) {
      continue;
    }
    for (const auto& m : fam.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& l : m.label) {
          found = found || (l.name == k && l.value == v);
        }
        match = match && found;
      }
      if (match) {
        sum += fam.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
      }
    }
  }
  return sum;
}

struct Recorder : FlowProgrammer::Listener {
  std::vector<uint64_t> idle_cookies;
  std::vector<std::pair<uint64_t, bool>> ups;
  int downs = 0;
  std::vector<std::vector<uint8_t>> punts;
  std::function<void()> on_down;

  void onFlowIdle(uint32_t, const abi::FlowIdle& ev) override { idle_cookies.push_back(ev.cookie); }
  void onSsrcChange(uint32_t, const abi::SsrcChange&) override {}
  void onIceSelected(uint32_t, const abi::IceSelected& ev) override { selected.push_back(ev); }
  void onConsentExpired(uint32_t, const abi::ConsentExpired& ev) override {
    consent_cookies.push_back(ev.cookie);
  }
  std::vector<abi::IceSelected> selected;
  std::vector<uint64_t> consent_cookies;
  void onPunt(uint32_t, const abi::PacketSlot& meta, const uint8_t* payload) override {
    punts.emplace_back(payload, payload + meta.len);
  }
  void onDataplaneUp(uint64_t epoch, bool new_epoch) override {
    ups.emplace_back(epoch, new_epoch);
  }
  void onDataplaneDown() override {
    ++downs;
    if (on_down) {
      on_down();
    }
  }
};

abi::FlowAdd flowAdd(uint64_t cookie) {
  abi::FlowAdd f{};
  f.hdr.type = abi::MsgType::FlowAdd;
  f.hdr.size = sizeof(f);
  f.cookie = cookie;
  return f;
}

abi::FlowDel flowDel(uint64_t handle) {
  abi::FlowDel d{};
  d.hdr.type = abi::MsgType::FlowDel;
  d.hdr.size = sizeof(d);
  d.hdr.flow = handle;
  return d;
}

class FlowProgrammerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = uniqueName(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  // Starts a fake dataplane and a FlowProgrammer on it, and waits until the link is up.
  void startBoth(FlowProgrammer::Options opts = {}) {
    dp_ = std::make_unique<FakeDataplane>(name_, smallGeometry());
    ASSERT_TRUE(dp_->ok()) << dp_->error();
    fp_ = std::make_unique<FlowProgrammer>(io_, name_, registry_, opts);
    fp_->setListener(&rec_);
    fp_->start();
    ASSERT_TRUE(runUntil(io_, [&] { return fp_->ready(); })) << "link never came up";
  }

  std::string name_;
  boost::asio::io_context io_;
  prometheus::Registry registry_;
  Recorder rec_;
  std::unique_ptr<FakeDataplane> dp_;
  std::unique_ptr<FlowProgrammer> fp_;
};

TEST_F(FlowProgrammerTest, AcksAreDeliveredBySeq) {
  startBoth();
  ASSERT_EQ(rec_.ups.size(), 1u);
  EXPECT_EQ(rec_.ups[0].first, dp_->epoch());
  EXPECT_FALSE(rec_.ups[0].second) << "first link of this process: the dataplane may hold flows";
  EXPECT_EQ(fp_->workers(), 1u);
  EXPECT_EQ(fp_->epoch(), dp_->epoch());

  std::vector<uint32_t> seqs;
  std::vector<std::optional<Result<abi::Ack>>> got(3);
  for (int i = 0; i < 3; ++i) {
    auto f = flowAdd(100 + static_cast<uint64_t>(i));
    auto seq = fp_->submit(0, f.hdr, [&got, i](Result<abi::Ack> r) { got[i] = std::move(r); });
    ASSERT_TRUE(seq) << seq.error().message;
    seqs.push_back(*seq);
  }
  EXPECT_EQ(fp_->outstanding(), 3u);
  ASSERT_TRUE(runUntil(io_, [&] { return got[0] && got[1] && got[2]; }));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(got[i]->ok()) << got[i]->error().message;
    EXPECT_EQ((*got[i])->hdr.seq, seqs[i]);
    EXPECT_EQ((*got[i])->status, abi::kOk);
    EXPECT_NE((*got[i])->hdr.flow, 0u);
  }
  EXPECT_NE((*got[0])->hdr.flow, (*got[1])->hdr.flow);
  EXPECT_EQ(fp_->outstanding(), 0u);
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_commands_total",
                   {{"type", "flow_add"}, {"result", "ok"}}),
            3);

  // Query and delete the first flow; an unknown handle is NotFound; a dump lists the rest.
  const uint64_t handle = (*got[0])->hdr.flow;
  std::optional<Result<abi::FlowInfo>> info;
  fp_->query(0, handle, [&](Result<abi::FlowInfo> r) { info = std::move(r); });
  ASSERT_TRUE(runUntil(io_, [&] { return info.has_value(); }));
  ASSERT_TRUE(info->ok()) << info->error().message;
  EXPECT_EQ((*info)->cookie, 100u);
  EXPECT_EQ((*info)->hdr.flow, handle);

  std::optional<Result<abi::Ack>> del;
  auto d = flowDel(handle);
  ASSERT_TRUE(fp_->submit(0, d.hdr, [&](Result<abi::Ack> r) { del = std::move(r); }));
  ASSERT_TRUE(runUntil(io_, [&] { return del.has_value(); }));
  ASSERT_TRUE(del->ok());
  EXPECT_EQ((*del)->status, abi::kOk);

  info.reset();
  fp_->query(0, handle, [&](Result<abi::FlowInfo> r) { info = std::move(r); });
  ASSERT_TRUE(runUntil(io_, [&] { return info.has_value(); }));
  ASSERT_FALSE(info->ok());
  EXPECT_EQ(info->error().code, ErrorCode::NotFound);

  std::optional<Result<std::vector<abi::FlowInfo>>> flows;
  fp_->dump(0, [&](Result<std::vector<abi::FlowInfo>> r) { flows = std::move(r); });
  ASSERT_TRUE(runUntil(io_, [&] { return flows.has_value(); }));
  ASSERT_TRUE(flows->ok()) << flows->error().message;
  EXPECT_EQ((*flows)->size(), 2u);

  // Bad arguments are refused at once, without a callback.
  auto bad = fp_->submit(5, d.hdr, [](Result<abi::Ack>) { FAIL() << "must not be called"; });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
}

TEST_F(FlowProgrammerTest, TimesOutAndCountsLateAcks) {
  FlowProgrammer::Options opts;
  opts.command_timeout = 60ms;
  startBoth(opts);
  dp_->hold_answers = true;
  std::optional<Result<abi::Ack>> got;
  auto f = flowAdd(1);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(fp_->submit(0, f.hdr, [&](Result<abi::Ack> r) { got = std::move(r); }));
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error().code, ErrorCode::Timeout);
  EXPECT_GE(waited, 60ms);
  EXPECT_LT(waited, 1000ms);
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_command_timeouts_total"), 1);

  // The answer arrives after all: counted, ignored, and `done` is not called twice.
  got.reset();
  dp_->releaseHeld();
  ASSERT_TRUE(runUntil(
      io_, [&] { return metric(registry_, "rampart_cp_dataplane_late_acks_total") >= 1; }));
  EXPECT_FALSE(got.has_value());
}

TEST_F(FlowProgrammerTest, FullRingBacklogsThenDrainsInOrder) {
  FlowProgrammer::Options opts;
  opts.command_timeout = 3000ms;
  opts.backlog_limit = 16;
  startBoth(opts);
  dp_->read_commands = false;  // 8 command slots; the rest must wait in the backlog

  std::vector<uint32_t> seqs;
  std::vector<uint32_t> order;  // seqs in the order their callbacks ran
  for (int i = 0; i < 24; ++i) {
    auto d = flowDel(1000 + static_cast<uint64_t>(i));
    auto seq = fp_->submit(0, d.hdr, [&order](Result<abi::Ack> r) {
      ASSERT_TRUE(r.ok()) << r.error().message;
      order.push_back(r->hdr.seq);
    });
    ASSERT_TRUE(seq) << "command " << i << ": " << seq.error().message;
    seqs.push_back(*seq);
  }
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_backlog_depth", {{"worker", "0"}}), 16);
  // The backlog is full: now, and only now, submit refuses.
  auto d = flowDel(1);
  auto refused = fp_->submit(0, d.hdr, [](Result<abi::Ack>) { FAIL() << "must not be called"; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Overloaded);

  dp_->read_commands = true;
  ASSERT_TRUE(runUntil(io_, [&] { return order.size() == seqs.size(); }));
  EXPECT_EQ(order, seqs);
  EXPECT_EQ(dp_->seenSeqs(), seqs) << "the dataplane must read them in submission order";
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_backlog_depth", {{"worker", "0"}}), 0);
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_commands_total",
                   {{"type", "flow_del"}, {"result", "overloaded"}}),
            1);
}

TEST_F(FlowProgrammerTest, EventsBeyondRingSizeAreNeverLost) {
  startBoth();
  constexpr uint32_t kEvents = 1000;  // the event ring holds 16
  dp_->pushFlowIdle(0, kEvents);
  // Commands interleave with the flood and still get their Acks.
  std::optional<Result<abi::Ack>> got;
  auto f = flowAdd(5);
  ASSERT_TRUE(fp_->submit(0, f.hdr, [&](Result<abi::Ack> r) { got = std::move(r); }));
  ASSERT_TRUE(runUntil(
      io_, [&] { return rec_.idle_cookies.size() == kEvents && got; }, 10000ms))
      << rec_.idle_cookies.size() << " events";
  for (uint32_t i = 0; i < kEvents; ++i) {
    ASSERT_EQ(rec_.idle_cookies[i], i) << "lost or reordered at " << i;
  }
  EXPECT_TRUE(got->ok());
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_events_total", {{"type", "flow_idle"}}),
            kEvents);

  // Punted packets reach the listener; injected ones reach the dataplane.
  ASSERT_TRUE(dp_->punt(20, 0xab));
  ASSERT_TRUE(runUntil(io_, [&] { return rec_.punts.size() == 1; }));
  EXPECT_EQ(rec_.punts[0], std::vector<uint8_t>(20, 0xab));
  abi::PacketSlot meta{};
  meta.len = 4;
  const uint8_t payload[4] = {1, 2, 3, 4};
  ASSERT_TRUE(fp_->inject(0, meta, payload));
  ASSERT_TRUE(runUntil(io_, [&] { return dp_->injected() == 1; }));
}

// A listener written before ABI 1.2 (no ICE methods) still compiles: the new ones have
// empty default bodies.
struct OldListener : FlowProgrammer::Listener {
  void onFlowIdle(uint32_t, const abi::FlowIdle&) override {}
  void onSsrcChange(uint32_t, const abi::SsrcChange&) override {}
  void onPunt(uint32_t, const abi::PacketSlot&, const uint8_t*) override {}
  void onDataplaneUp(uint64_t, bool) override {}
  void onDataplaneDown() override {}
};

TEST_F(FlowProgrammerTest, FlowIceIsAckedAndIceEventsReachTheListener) {
  startBoth();
  abi::FlowIce ice{};
  ice.hdr.flow = abi::packHandle({3, 1});
  ice.local_ufrag_len = 4;
  std::memcpy(ice.local_ufrag, "rAmP", 4);
  ice.local_pwd_len = 22;
  std::memset(ice.local_pwd, 'p', 22);
  std::optional<Result<abi::Ack>> got;
  ASSERT_TRUE(fp_->submitIce(0, ice, [&](Result<abi::Ack> r) { got = std::move(r); }));
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok());
  EXPECT_EQ((*got)->cmd_type, static_cast<uint16_t>(abi::MsgType::FlowIce));
  EXPECT_EQ((*got)->hdr.flow, ice.hdr.flow);
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_commands_total",
                   {{"type", "flow_ice"}, {"result", "ok"}}),
            1);

  abi::IceSelected sel{};
  sel.hdr = {abi::MsgType::IceSelected, static_cast<uint16_t>(sizeof(sel)), 0, ice.hdr.flow};
  sel.cookie = 11;
  sel.family = 4;
  sel.remote.port = 5000;
  dp_->pushEvent(&sel, sizeof(sel));
  abi::ConsentExpired ce{};
  ce.hdr = {abi::MsgType::ConsentExpired, static_cast<uint16_t>(sizeof(ce)), 0, ice.hdr.flow};
  ce.cookie = 12;
  ce.silent_s = 30;
  dp_->pushEvent(&ce, sizeof(ce));
  ASSERT_TRUE(
      runUntil(io_, [&] { return rec_.selected.size() == 1 && rec_.consent_cookies.size() == 1; }));
  EXPECT_EQ(rec_.selected[0].cookie, 11u);
  EXPECT_EQ(rec_.selected[0].remote.port, 5000);
  EXPECT_EQ(rec_.consent_cookies[0], 12u);
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_events_total", {{"type", "ice_selected"}}), 1);
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_events_total", {{"type", "consent_expired"}}),
            1);

  // With a listener that predates them, the events are consumed (counted) and ignored.
  OldListener old;
  fp_->setListener(&old);
  dp_->pushEvent(&sel, sizeof(sel));
  ASSERT_TRUE(runUntil(io_, [&] {
    return metric(registry_, "rampart_cp_dataplane_events_total", {{"type", "ice_selected"}}) == 2;
  }));
  fp_->setListener(&rec_);
}

TEST_F(FlowProgrammerTest, LinkDownFailsOutstandingWithUnavailable) {
  FlowProgrammer::Options opts;
  opts.command_timeout = 5000ms;
  startBoth(opts);
  dp_->hold_answers = true;
  std::vector<ErrorCode> failures;
  bool down_after_failures = false;
  rec_.on_down = [&] { down_after_failures = failures.size() == 5; };
  for (int i = 0; i < 5; ++i) {
    auto f = flowAdd(static_cast<uint64_t>(i));
    ASSERT_TRUE(fp_->submit(0, f.hdr, [&](Result<abi::Ack> r) {
      ASSERT_FALSE(r.ok());
      failures.push_back(r.error().code);
    }));
  }
  ASSERT_TRUE(runUntil(io_, [&] { return dp_->seenSeqs().size() == 5; }));
  dp_->markStopping();
  ASSERT_TRUE(runUntil(
      io_, [&] { return rec_.downs == 1; }, 2000ms));
  EXPECT_TRUE(down_after_failures) << "onDataplaneDown must come after every failure";
  ASSERT_EQ(failures.size(), 5u);
  for (ErrorCode c : failures) {
    EXPECT_EQ(c, ErrorCode::Unavailable);
  }
  EXPECT_FALSE(fp_->ready());
  EXPECT_EQ(fp_->region(), nullptr);

  // While down, a submit answers Unavailable through the loop, never inline.
  std::optional<Result<abi::Ack>> got;
  auto f = flowAdd(9);
  ASSERT_TRUE(fp_->submit(0, f.hdr, [&](Result<abi::Ack> r) { got = std::move(r); }));
  EXPECT_FALSE(got.has_value());
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  EXPECT_EQ(got->error().code, ErrorCode::Unavailable);
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_connected"), 0);
}

TEST_F(FlowProgrammerTest, ReconnectsAfterANewEpoch) {
  startBoth();
  const uint64_t first_epoch = dp_->epoch();
  EXPECT_NE(fp_->region(), nullptr);
  // A new dataplane replaces the region under the same name (the old one is unlinked).
  auto second = std::make_unique<FakeDataplane>(name_, smallGeometry());
  ASSERT_TRUE(second->ok()) << second->error();
  ASSERT_NE(second->epoch(), first_epoch);
  ASSERT_TRUE(runUntil(
      io_, [&] { return rec_.ups.size() == 2; }, 3000ms));
  EXPECT_EQ(rec_.downs, 1);
  EXPECT_EQ(rec_.ups[1].first, second->epoch());
  EXPECT_TRUE(rec_.ups[1].second) << "a new epoch holds none of our flows";
  EXPECT_EQ(fp_->epoch(), second->epoch());
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_restarts_total"), 1);
  EXPECT_EQ(metric(registry_, "rampart_cp_dataplane_epoch"), static_cast<double>(second->epoch()));

  std::optional<Result<abi::Ack>> got;
  auto f = flowAdd(3);
  ASSERT_TRUE(fp_->submit(0, f.hdr, [&](Result<abi::Ack> r) { got = std::move(r); }));
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->error().message;
  EXPECT_EQ((*got)->status, abi::kOk);
  dp_.reset();
  fp_->stop();
}

TEST_F(FlowProgrammerTest, RefusedHandshakeIsRetried) {
  dp_ = std::make_unique<FakeDataplane>(name_, smallGeometry());
  ASSERT_TRUE(dp_->ok()) << dp_->error();
  dp_->hello_status = abi::kErrProto;
  fp_ = std::make_unique<FlowProgrammer>(io_, name_, registry_);
  fp_->setListener(&rec_);
  fp_->start();
  ASSERT_TRUE(runUntil(
      io_, [&] { return dp_->hellos() >= 2; }, 3000ms))
      << "not retried";
  EXPECT_FALSE(fp_->ready());
  EXPECT_GE(metric(registry_, "rampart_cp_dataplane_handshakes_total", {{"result", "failed"}}), 2);
  dp_->hello_status = abi::kOk;
  ASSERT_TRUE(runUntil(
      io_, [&] { return fp_->ready(); }, 3000ms));
  EXPECT_EQ(rec_.ups.size(), 1u);
}

}  // namespace
}  // namespace rampart::cp
