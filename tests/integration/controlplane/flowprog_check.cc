// flowprog_check: drives the real rampart-dataplane through the control plane's FlowProgrammer
// on an io_context (run by flowprog_dp_test.sh).
//   phase 1: link up -> FlowAdd -> FlowQuery (cookie, port) -> FlowDel -> FlowQuery NotFound;
//            prints "PHASE1 OK epoch=E";
//   phase 2: the script restarts the dataplane; expects onDataplaneDown, then
//            onDataplaneUp(new epoch, new_epoch=true), programs a flow there; prints "PHASE2 OK".
// Exits 0 on success, 1 with a reason on any failure or after the deadline.
// usage: flowprog_check SHM_NAME DEADLINE_S
#include <arpa/inet.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "flowprog/flow_programmer.h"

namespace {

using namespace rampart;

abi::Endpoint endpoint(const char* ip, uint16_t port) {
  abi::Endpoint e{};
  inet_pton(AF_INET, ip, e.addr);
  e.port = port;
  return e;
}

// Matches the configuration flowprog_dp_test.sh writes (realm wan = port 0, lan = port 1).
abi::FlowAdd flowAdd(uint16_t local_port, uint64_t cookie) {
  abi::FlowAdd f{};
  f.hdr.type = abi::MsgType::FlowAdd;
  f.hdr.size = sizeof(f);
  f.in_port = 0;
  f.out_port = 1;
  f.dscp = abi::kDscpRealmDefault;
  f.in_local = endpoint("198.18.2.1", local_port);
  f.in_remote = endpoint("198.18.2.2", 4000);
  f.out_local = endpoint("198.18.4.1", static_cast<uint16_t>(local_port + 10000));
  f.out_remote = endpoint("198.18.4.2", 5000);
  f.cookie = cookie;
  return f;
}

class Check : public cp::FlowProgrammer::Listener {
 public:
  Check(boost::asio::io_context& io, cp::FlowProgrammer& fp) : io_(io), fp_(fp) {}

  void onFlowIdle(uint32_t, const abi::FlowIdle&) override {}
  void onSsrcChange(uint32_t, const abi::SsrcChange&) override {}
  void onPunt(uint32_t, const abi::PacketSlot&, const uint8_t*) override {}

  void onDataplaneUp(uint64_t epoch, bool new_epoch) override {
    std::printf("up epoch=%llu new_epoch=%d\n", static_cast<unsigned long long>(epoch),
                new_epoch ? 1 : 0);
    std::fflush(stdout);
    if (phase_ == 0) {
      first_epoch_ = epoch;
      phase_ = 1;
      add();
    } else if (phase_ == 2) {
      if (!downs_) {
        return fail("up again without onDataplaneDown first");
      }
      if (!new_epoch || epoch == first_epoch_) {
        return fail("restarted dataplane not reported as a new epoch");
      }
      phase_ = 3;
      auto f = flowAdd(20002, 78);
      auto seq = fp_.submit(0, f.hdr, [this](Result<abi::Ack> r) {
        if (!r || r->status != abi::kOk) {
          return fail("FlowAdd on the new dataplane failed");
        }
        std::printf("PHASE2 OK\n");
        finish(0);
      });
      if (!seq) {
        fail("submit: " + seq.error().message);
      }
    }
  }
  void onDataplaneDown() override {
    ++downs_;
    std::printf("down\n");
    std::fflush(stdout);
  }

  int rc() const { return rc_; }
  void fail(const std::string& why) {
    std::printf("FAIL: %s\n", why.c_str());
    finish(1);
  }

 private:
  void add() {
    auto f = flowAdd(20000, 77);
    auto seq = fp_.submit(0, f.hdr, [this](Result<abi::Ack> r) {
      if (!r) {
        return fail("FlowAdd: " + r.error().message);
      }
      if (r->status != abi::kOk) {
        return fail("FlowAdd refused: " + platform::statusText(r->status));
      }
      handle_ = r->hdr.flow;
      query();
    });
    if (!seq) {
      fail("submit: " + seq.error().message);
    }
  }
  void query() {
    fp_.query(0, handle_, [this](Result<abi::FlowInfo> r) {
      if (!r) {
        return fail("FlowQuery: " + r.error().message);
      }
      if (r->cookie != 77 || r->in_local.port != 20000 || r->hdr.flow != handle_) {
        return fail("FlowQuery answered another flow");
      }
      del();
    });
  }
  void del() {
    abi::FlowDel d{};
    d.hdr.type = abi::MsgType::FlowDel;
    d.hdr.size = sizeof(d);
    d.hdr.flow = handle_;
    auto seq = fp_.submit(0, d.hdr, [this](Result<abi::Ack> r) {
      if (!r || r->status != abi::kOk) {
        return fail("FlowDel failed");
      }
      fp_.query(0, handle_, [this](Result<abi::FlowInfo> q) {
        if (q || q.error().code != ErrorCode::NotFound) {
          return fail("deleted flow still answers a query");
        }
        phase_ = 2;
        std::printf("PHASE1 OK epoch=%llu\n", static_cast<unsigned long long>(first_epoch_));
        std::fflush(stdout);
      });
    });
    if (!seq) {
      fail("submit: " + seq.error().message);
    }
  }
  void finish(int rc) {
    rc_ = rc;
    std::fflush(stdout);
    fp_.stop();
    io_.stop();
  }

  boost::asio::io_context& io_;
  cp::FlowProgrammer& fp_;
  int phase_ = 0;
  int downs_ = 0;
  int rc_ = 1;
  uint64_t first_epoch_ = 0;
  uint64_t handle_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: flowprog_check SHM_NAME DEADLINE_S\n");
    return 2;
  }
  boost::asio::io_context io;
  prometheus::Registry registry;
  cp::FlowProgrammer fp(io, argv[1], registry);
  Check check(io, fp);
  fp.setListener(&check);
  boost::asio::steady_timer deadline(io, std::chrono::seconds(std::atoi(argv[2])));
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) {
      check.fail("deadline passed");
    }
  });
  fp.start();
  io.run();
  return check.rc();
}
