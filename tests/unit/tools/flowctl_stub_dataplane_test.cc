// Runs the real rampart-flowctl against a stub dataplane: a thread in this test that creates a
// region and answers commands the way the dataplane's worker does (HelloAck, Ack, FlowInfo,
// FlowDumpEnd). Proves the tool's whole path through DataplaneClient without DPDK.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <rampart/platform/abi.h>
#include <rampart/platform/dp_client.h>
#include <rampart/platform/shm_region.h>
#include <rampart/platform/spsc_ring.h>

namespace rampart::tools {
namespace {

using platform::RingConsumer;
using platform::RingKind;
using platform::RingProducer;
using platform::ShmRegion;

constexpr uint64_t kNoSpaceCookie = 999;  // the stub refuses adds carrying this cookie

class StubDataplane {
 public:
  explicit StubDataplane(const std::string& name) {
    platform::RegionGeometry g;
    g.n_workers = 1;
    g.cmd_slots = 64;
    g.evt_slots = 256;
    g.punt_slots = 16;
    g.inject_slots = 16;
    auto r = ShmRegion::create(name, g);
    if (!r) {
      error_ = r.error().message;
      return;
    }
    region_ = std::move(r.value());
    thread_ = std::thread([this] { loop(); });
  }
  ~StubDataplane() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  const std::string& error() const { return error_; }

 private:
  struct Flow {
    abi::FlowAdd add;
    uint32_t generation;
    bool live;
  };

  template <typename T>
  void emit(RingProducer& evt, T msg, abi::MsgType type, uint32_t seq, uint64_t flow) {
    msg.hdr.type = type;
    msg.hdr.size = sizeof(T);
    msg.hdr.seq = seq;
    msg.hdr.flow = flow;
    evt.enqueue(&msg, sizeof(msg));
  }

  void ack(RingProducer& evt, const abi::MsgHeader& cmd, int32_t status, uint64_t flow) {
    abi::Ack a{};
    a.status = status;
    a.cmd_type = static_cast<uint16_t>(cmd.type);
    emit(evt, a, abi::MsgType::Ack, cmd.seq, flow);
  }

  abi::FlowInfo info(std::size_t index) const {
    abi::FlowInfo fi{};
    const Flow& f = flows_[index];
    fi.cookie = f.add.cookie;
    fi.in_port = f.add.in_port;
    fi.flags = f.add.flags;
    fi.in_local = f.add.in_local;
    fi.in_remote = f.add.in_remote;
    fi.packets = 5;
    fi.bytes = 860;
    return fi;
  }

  uint64_t handleOf(std::size_t index) const {
    return abi::packHandle({static_cast<uint32_t>(index + 1), flows_[index].generation});
  }

  // Index of a live flow with this handle, or -1.
  int find(uint64_t handle) const {
    const abi::FlowHandle h = abi::unpackHandle(handle);
    if (h.index == 0 || h.index > flows_.size()) {
      return -1;
    }
    const Flow& f = flows_[h.index - 1];
    return f.live && f.generation == h.generation ? static_cast<int>(h.index - 1) : -1;
  }

  void handle(RingProducer& evt, const uint8_t* slot) {
    abi::MsgHeader hdr;
    std::memcpy(&hdr, slot, sizeof(hdr));
    switch (hdr.type) {
      case abi::MsgType::Hello: {
        abi::HelloAck h{};
        h.status = abi::kOk;
        h.abi_major = abi::kAbiMajor;
        h.abi_minor = abi::kAbiMinor;
        h.dp_epoch = region_.epoch();
        for (const Flow& f : flows_) {
          h.flows_live += f.live ? 1 : 0;
        }
        emit(evt, h, abi::MsgType::HelloAck, hdr.seq, 0);
        break;
      }
      case abi::MsgType::FlowAdd: {
        abi::FlowAdd add;
        std::memcpy(&add, slot, sizeof(add));
        if (add.cookie == kNoSpaceCookie) {
          ack(evt, hdr, abi::kErrNoSpace, 0);
          break;
        }
        flows_.push_back(Flow{add, 1, true});
        ack(evt, hdr, abi::kOk, handleOf(flows_.size() - 1));
        break;
      }
      case abi::MsgType::FlowDel: {
        const int i = find(hdr.flow);
        if (i >= 0) {
          flows_[static_cast<std::size_t>(i)].live = false;
        }
        ack(evt, hdr, i >= 0 ? abi::kOk : abi::kErrNoEnt, hdr.flow);
        break;
      }
      case abi::MsgType::FlowQuery: {
        const int i = find(hdr.flow);
        if (i >= 0) {
          emit(evt, info(static_cast<std::size_t>(i)), abi::MsgType::FlowInfo, hdr.seq,
               hdr.flow);
        }
        ack(evt, hdr, i >= 0 ? abi::kOk : abi::kErrNoEnt, hdr.flow);
        break;
      }
      case abi::MsgType::FlowDump: {
        uint32_t n = 0;
        for (std::size_t i = 0; i < flows_.size(); ++i) {
          if (flows_[i].live) {
            emit(evt, info(i), abi::MsgType::FlowInfo, hdr.seq, handleOf(i));
            ++n;
          }
        }
        abi::FlowDumpEnd end{};
        end.flows = n;
        emit(evt, end, abi::MsgType::FlowDumpEnd, hdr.seq, 0);
        break;
      }
      default: ack(evt, hdr, abi::kErrNotSup, hdr.flow); break;
    }
  }

  void loop() {
    RingConsumer cmd(region_.ring(0, RingKind::Command));
    RingProducer evt(region_.ring(0, RingKind::Event));
    while (!stop_) {
      const uint32_t n = cmd.available(32);
      for (uint32_t i = 0; i < n; ++i) {
        handle(evt, static_cast<const uint8_t*>(cmd.slot(i)));
      }
      if (n > 0) {
        cmd.release(n);
      }
      usleep(200);
    }
  }

  ShmRegion region_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::string error_;
  std::vector<Flow> flows_;  // only the stub thread touches it after start
};

struct RunResult {
  int exit_code = -1;
  std::string out;
};

// Runs flowctl with `args`; `input` is a shell pipeline prefix feeding its stdin ("" = none).
RunResult flowctl(const std::string& shm, const std::string& args, const std::string& input = "") {
  RunResult r;
  const std::string cmd =
      input + std::string(FLOWCTL_BIN) + " --shm " + shm + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    r.out.append(buf, n);
  }
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const char* const kAdd =
    "add --worker 0 --in-port 0 --in-local 198.18.2.1:20000 --in-remote 198.18.2.2:0 --latch "
    "--out-port 1 --out-local 198.18.4.1:30000 --out-remote 198.18.4.2:40000 --dscp 46 "
    "--srtp-in AES_CM_128_HMAC_SHA1_80:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk";

TEST(FlowctlStubDataplane, HelloAddListQueryDel) {
  const std::string shm = "/rampart-flowctl-test-" + std::to_string(getpid());
  StubDataplane dp(shm);
  ASSERT_EQ(dp.error(), "");

  auto hello = flowctl(shm, "hello");
  ASSERT_EQ(hello.exit_code, 0) << hello.out;
  EXPECT_NE(hello.out.find("1 worker"), std::string::npos) << hello.out;
  EXPECT_NE(hello.out.find("worker 0: 0 live flow"), std::string::npos) << hello.out;

  auto add = flowctl(shm, std::string(kAdd) + " --cookie 42");
  ASSERT_EQ(add.exit_code, 0) << add.out;
  const std::string handle = add.out.substr(0, add.out.find('\n'));
  EXPECT_EQ(handle, std::to_string(abi::packHandle({1, 1}))) << add.out;

  auto list = flowctl(shm, "list");
  ASSERT_EQ(list.exit_code, 0) << list.out;
  EXPECT_NE(list.out.find("HANDLE"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("198.18.2.1:20000"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("latch"), std::string::npos) << list.out;

  auto json = flowctl(shm, "list --json --worker 0");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  EXPECT_NE(json.out.find("\"handle\":" + handle), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"cookie\":42"), std::string::npos) << json.out;

  auto query = flowctl(shm, "query --worker 0 " + handle);
  ASSERT_EQ(query.exit_code, 0) << query.out;
  EXPECT_NE(query.out.find("in remote:    198.18.2.2:0"), std::string::npos) << query.out;
  EXPECT_NE(query.out.find("packets:      5"), std::string::npos) << query.out;

  auto hello2 = flowctl(shm, "--json hello");
  EXPECT_NE(hello2.out.find("\"flows\":[1]"), std::string::npos) << hello2.out;

  auto del = flowctl(shm, "del --worker 0 " + handle);
  ASSERT_EQ(del.exit_code, 0) << del.out;
  auto again = flowctl(shm, "del --worker 0 " + handle);
  EXPECT_EQ(again.exit_code, 3) << again.out;
  EXPECT_NE(again.out.find("no such flow"), std::string::npos) << again.out;
  auto gone = flowctl(shm, "query --worker 0 " + handle);
  EXPECT_EQ(gone.exit_code, 3) << gone.out;
  EXPECT_NE(gone.out.find("no such flow"), std::string::npos) << gone.out;
}

TEST(FlowctlStubDataplane, AckErrorsAndRefusals) {
  const std::string shm = "/rampart-flowctl-test2-" + std::to_string(getpid());
  StubDataplane dp(shm);
  ASSERT_EQ(dp.error(), "");

  auto full = flowctl(shm, std::string(kAdd) + " --cookie " + std::to_string(kNoSpaceCookie));
  EXPECT_EQ(full.exit_code, 3) << full.out;
  EXPECT_NE(full.out.find("flow table full"), std::string::npos) << full.out;

  auto bad_worker = flowctl(shm, "query --worker 3 1");
  EXPECT_EQ(bad_worker.exit_code, 2) << bad_worker.out;
  EXPECT_NE(bad_worker.out.find("--worker"), std::string::npos) << bad_worker.out;

  {
    // While a control plane holds the region, flowctl must refuse instead of interleaving.
    auto cp = platform::DataplaneClient::connect(shm, 1000);
    ASSERT_TRUE(cp.ok()) << cp.error().message;
    auto refused = flowctl(shm, "hello");
    EXPECT_EQ(refused.exit_code, 1) << refused.out;
    EXPECT_NE(refused.out.find("another control plane"), std::string::npos) << refused.out;
  }
  auto after = flowctl(shm, "hello");
  EXPECT_EQ(after.exit_code, 0) << after.out;
}

TEST(FlowctlStubDataplane, BatchOverOneConnection) {
  const std::string shm = "/rampart-flowctl-test3-" + std::to_string(getpid());
  StubDataplane dp(shm);
  ASSERT_EQ(dp.error(), "");
  const std::string first = std::to_string(abi::packHandle({1, 1}));
  const std::string in = "printf '%s\\n' '# three adds and a delete' '" + std::string(kAdd) +
                         " --cookie 1' '' '" + kAdd + " --cookie 2' 'del --worker 0 " + first +
                         "' '" + kAdd + " --cookie 3' | ";
  auto ok = flowctl(shm, "batch", in);
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(ok.out, first + "\n" + std::to_string(abi::packHandle({2, 1})) + "\nok\n" +
                        std::to_string(abi::packHandle({3, 1})) + "\n");
  auto list = flowctl(shm, "--json list");
  EXPECT_EQ(list.out.find("\"cookie\":1,"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("\"cookie\":3,"), std::string::npos) << list.out;

  // A bad line stops the batch with its line number; what came before stays applied.
  auto bad = flowctl(shm, "batch", "printf '%s\\n' 'del --worker 0 " + first + "' 'list' | ");
  EXPECT_EQ(bad.exit_code, 3) << bad.out;
  EXPECT_NE(bad.out.find("line 1: del refused by worker 0: no such flow"), std::string::npos)
      << bad.out;
  auto bad2 = flowctl(shm, "batch", "printf '%s\\n' '' 'list' | ");
  EXPECT_EQ(bad2.exit_code, 2) << bad2.out;
  EXPECT_NE(bad2.out.find("line 2: 'list'"), std::string::npos) << bad2.out;
}

TEST(FlowctlStubDataplane, MissingRegionIsAClearError) {
  auto r = flowctl("/rampart-flowctl-absent-" + std::to_string(getpid()), "hello");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("does not exist"), std::string::npos) << r.out;
}

TEST(FlowctlCli, BadArgumentsExitTwoNamingTheOption) {
  struct Case {
    std::string args;
    std::string names;
  } cases[] = {
      {"add --worker 0 --in-port 0 --in-local 1.2.3:5 --in-remote 1.2.3.4:5 --out-port 1 "
       "--out-local 1.2.3.4:6 --out-remote 1.2.3.4:7",
       "--in-local"},
      {"add --worker 0 --in-port 0 --in-local 1.2.3.4:5 --in-remote 1.2.3.4:5 --out-port 1 "
       "--out-local 1.2.3.4:6 --out-remote 1.2.3.4:7 --srtp-out AES_F8:QUJD",
       "--srtp-out"},
      {"add --worker 0 --in-port 0 --in-local 1.2.3.4:5 --in-remote 1.2.3.4:5 --out-port 1 "
       "--out-local 1.2.3.4:6 --out-remote 1.2.3.4:7 --srtp-in AEAD_AES_128_GCM:%%%%",
       "--srtp-in"},
      {"add --worker 0 --in-port 0 --in-local 1.2.3.4:5 --in-remote 1.2.3.4:5 --out-port 1 "
       "--out-local 1.2.3.4:6",
       "--out-remote"},
  };
  for (const auto& c : cases) {
    auto r = flowctl("/rampart-never-used", c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_NE(r.out.find(c.names), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace rampart::tools
