#pragma once
// A stand-in for rampart-dataplane in unit tests of the control plane's dataplane link: it
// creates a real shared-memory region (platform's ShmRegion) and, on a thread of its own,
// plays the dataplane's side of the ring protocol: Hello -> HelloAck, FlowAdd/FlowDel ->
// Ack, FlowQuery -> FlowInfo + Ack, FlowDump -> FlowInfo* + FlowDumpEnd, plus FlowIdle events
// and punted packets on request. Like the real one it never drops an answer: it stops reading
// commands while the event ring lacks room. Knobs let tests stall it, hold answers back or
// refuse the handshake.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rampart/platform/abi.h>
#include <rampart/platform/shm_region.h>
#include <rampart/platform/spsc_ring.h>

namespace rampart::testing {

class FakeDataplane {
 public:
  FakeDataplane(const std::string& name, const platform::RegionGeometry& g) {
    auto r = platform::ShmRegion::create(name, g);
    if (!r) {
      error_ = r.error().message;
      return;
    }
    region_ = std::move(r.value());
    cmd_ = platform::RingConsumer(region_.ring(0, platform::RingKind::Command));
    evt_ = platform::RingProducer(region_.ring(0, platform::RingKind::Event));
    punt_ = platform::RingProducer(region_.ring(0, platform::RingKind::Punt));
    inject_ = platform::RingConsumer(region_.ring(0, platform::RingKind::Inject));
    thread_ = std::thread([this] { run(); });
  }
  ~FakeDataplane() { shutdown(); }
  FakeDataplane(const FakeDataplane&) = delete;
  FakeDataplane& operator=(const FakeDataplane&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  uint64_t epoch() const { return region_.epoch(); }

  // Stops the thread; the region stays mapped (and published) until destruction.
  void shutdown() {
    stop_.store(true);
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  // Publishes Stopping, as the dataplane does on SIGTERM.
  void markStopping() { region_.markStopping(); }

  // Knobs (any thread).
  std::atomic<bool> read_commands{true};  // false: commands pile up in the ring
  std::atomic<bool> hold_answers{false};  // true: answers are kept until releaseHeld()
  std::atomic<int32_t> hello_status{abi::kOk};

  void releaseHeld() { release_.store(true); }
  // Queues `n` FlowIdle events (cookies first..first+n-1), written as the ring has room.
  void pushFlowIdle(uint64_t first, uint32_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint32_t i = 0; i < n; ++i) {
      abi::FlowIdle ev{};
      ev.hdr.type = abi::MsgType::FlowIdle;
      ev.hdr.size = sizeof(ev);
      ev.hdr.flow = 1;
      ev.cookie = first + i;
      ev.idle_s = 30;
      Slot s{};
      std::memcpy(s.bytes, &ev, sizeof(ev));
      unsolicited_.push_back(s);
    }
  }
  // Queues one unsolicited event (any message up to a slot), written as the ring has room.
  void pushEvent(const void* msg, size_t len) {
    std::lock_guard<std::mutex> lock(mu_);
    Slot s{};
    std::memcpy(s.bytes, msg, len < sizeof(s.bytes) ? len : sizeof(s.bytes));
    unsolicited_.push_back(s);
  }
  // Punts one packet with `len` bytes of `fill`.
  bool punt(uint16_t len, uint8_t fill) {
    std::lock_guard<std::mutex> lock(mu_);
    if (punt_.freeSlots(1) == 0) {
      return false;
    }
    auto* slot = static_cast<uint8_t*>(punt_.slot(0));
    abi::PacketSlot meta{};
    meta.len = len;
    meta.family = 4;
    meta.kind = abi::kPacketStun;
    meta.flow = 7;
    std::memcpy(slot, &meta, sizeof(meta));
    std::memset(slot + sizeof(meta), fill, len);
    punt_.publish(1);
    return true;
  }
  // Seqs of the commands read, in order (Hellos excluded).
  std::vector<uint32_t> seenSeqs() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  uint32_t hellos() const { return hellos_.load(); }
  uint32_t injected() const { return injected_.load(); }

 private:
  struct Slot {
    alignas(8) uint8_t bytes[abi::kCmdSlotSize];
  };

  void run() {
    auto last_beat = std::chrono::steady_clock::now();
    while (!stop_.load()) {
      bool idle = true;
      if (std::chrono::steady_clock::now() - last_beat > std::chrono::milliseconds(100)) {
        region_.heartbeat();
        last_beat = std::chrono::steady_clock::now();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (release_.exchange(false)) {
          while (!held_.empty()) {
            out_.push_back(held_.front());
            held_.pop_front();
          }
        }
        // Pending output first: nothing is dropped, we wait for room.
        while (!out_.empty() && evt_.freeSlots(1) > 0) {
          std::memcpy(evt_.slot(0), out_.front().bytes, abi::kCmdSlotSize);
          evt_.publish(1);
          out_.pop_front();
          idle = false;
        }
        while (out_.empty() && !unsolicited_.empty() && evt_.freeSlots(1) > 0) {
          std::memcpy(evt_.slot(0), unsolicited_.front().bytes, abi::kCmdSlotSize);
          evt_.publish(1);
          unsolicited_.pop_front();
          idle = false;
        }
        // Like the dataplane: read a command only when its answers fit.
        while (read_commands.load() && out_.empty() && cmd_.available(1) > 0) {
          Slot in{};
          std::memcpy(in.bytes, cmd_.slot(0), abi::kCmdSlotSize);
          cmd_.release(1);
          answer(in);
          idle = false;
        }
        while (inject_.available(1) > 0) {
          inject_.release(1);
          injected_.fetch_add(1);
        }
      }
      if (idle) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
  }

  void emit(const void* msg, size_t len, bool answer_to_command) {
    Slot s{};
    std::memcpy(s.bytes, msg, len);
    if (answer_to_command && hold_answers.load()) {
      held_.push_back(s);
    } else {
      out_.push_back(s);
    }
  }

  void answer(const Slot& in) {
    abi::MsgHeader h;
    std::memcpy(&h, in.bytes, sizeof(h));
    if (h.type == abi::MsgType::Hello) {
      hellos_.fetch_add(1);
      abi::HelloAck a{};
      a.hdr = {abi::MsgType::HelloAck, static_cast<uint16_t>(sizeof(a)), h.seq, 0};
      a.status = hello_status.load();
      a.abi_major = abi::kAbiMajor;
      a.abi_minor = abi::kAbiMinor;
      a.dp_epoch = region_.epoch();
      a.flows_live = static_cast<uint32_t>(flows_.size());
      std::snprintf(a.reason, sizeof(a.reason), "%s",
                    a.status == abi::kOk ? "" : "control plane speaks ABI 9.0, dataplane 1.1");
      emit(&a, sizeof(a), false);
      return;
    }
    seen_.push_back(h.seq);
    abi::Ack ack{};
    ack.hdr = {abi::MsgType::Ack, static_cast<uint16_t>(sizeof(ack)), h.seq, h.flow};
    ack.cmd_type = static_cast<uint16_t>(h.type);
    ack.status = abi::kOk;
    switch (h.type) {
      case abi::MsgType::FlowAdd: {
        abi::FlowAdd add;
        std::memcpy(&add, in.bytes, sizeof(add));
        const uint64_t handle = abi::packHandle({next_index_++, 1});
        flows_.push_back({handle, add.cookie});
        ack.hdr.flow = handle;
        break;
      }
      case abi::MsgType::FlowDel: {
        ack.status = abi::kErrNoEnt;
        for (size_t i = 0; i < flows_.size(); ++i) {
          if (flows_[i].handle == h.flow) {
            flows_.erase(flows_.begin() + static_cast<std::ptrdiff_t>(i));
            ack.status = abi::kOk;
            break;
          }
        }
        break;
      }
      case abi::MsgType::FlowQuery: {
        ack.status = abi::kErrNoEnt;
        for (const auto& f : flows_) {
          if (f.handle == h.flow) {
            emit(&info(f, h.seq), sizeof(abi::FlowInfo), true);
            ack.status = abi::kOk;
          }
        }
        break;
      }
      case abi::MsgType::FlowDump: {
        for (const auto& f : flows_) {
          emit(&info(f, h.seq), sizeof(abi::FlowInfo), true);
        }
        abi::FlowDumpEnd end{};
        end.hdr = {abi::MsgType::FlowDumpEnd, static_cast<uint16_t>(sizeof(end)), h.seq, 0};
        end.flows = static_cast<uint32_t>(flows_.size());
        emit(&end, sizeof(end), true);
        return;  // no Ack for a dump
      }
      default: break;
    }
    emit(&ack, sizeof(ack), true);
  }

  struct Flow {
    uint64_t handle;
    uint64_t cookie;
  };
  const abi::FlowInfo& info(const Flow& f, uint32_t seq) {
    info_ = abi::FlowInfo{};
    info_.hdr = {abi::MsgType::FlowInfo, static_cast<uint16_t>(sizeof(info_)), seq, f.handle};
    info_.cookie = f.cookie;
    info_.packets = 42;
    return info_;
  }

  std::string error_;
  platform::ShmRegion region_;
  platform::RingConsumer cmd_;
  platform::RingProducer evt_;
  platform::RingProducer punt_;
  platform::RingConsumer inject_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> release_{false};
  std::atomic<uint32_t> hellos_{0};
  std::atomic<uint32_t> injected_{0};
  std::mutex mu_;  // guards everything below and the punt ring (test thread + fake thread)
  std::deque<Slot> out_;
  std::deque<Slot> held_;
  std::deque<Slot> unsolicited_;
  std::vector<uint32_t> seen_;
  std::vector<Flow> flows_;
  uint32_t next_index_ = 1;
  abi::FlowInfo info_{};
};

}  // namespace rampart::testing
