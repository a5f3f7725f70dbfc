// rampart-flowctl: programs, lists and deletes dataplane flows through the shared-memory
// region, without a control plane (labs, integration tests, debugging). See docs/TOOLS.md.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <rampart/platform/dp_client.h>

#include "flowctl/flowctl_args.h"
#include "flowctl/flowctl_output.h"

namespace {

using rampart::tools::FlowctlArgs;
using rampart::tools::FlowctlCommand;

// Exit codes: 0 success, 1 dataplane unreachable or no answer, 2 bad arguments,
// 3 the dataplane answered with an error status.
constexpr int kExitNoDataplane = 1;
constexpr int kExitUsage = 2;
constexpr int kExitRefused = 3;

int hello(rampart::platform::DataplaneClient& dp, const FlowctlArgs& a) {
  const auto& flows = dp.flowsAtHandshake();
  if (a.json) {
    std::printf("{\"shm\":\"%s\",\"epoch\":%llu,\"workers\":%u,\"flows\":[", a.shm.c_str(),
                static_cast<unsigned long long>(dp.epoch()), dp.workers());
    for (std::size_t i = 0; i < flows.size(); ++i) {
      std::printf("%s%u", i ? "," : "", flows[i]);
    }
    std::printf("]}\n");
    return 0;
  }
  std::printf("shm %s: epoch %llu, %u worker(s)\n", a.shm.c_str(),
              static_cast<unsigned long long>(dp.epoch()), dp.workers());
  for (std::size_t i = 0; i < flows.size(); ++i) {
    std::printf("  worker %zu: %u live flow(s)\n", i, flows[i]);
  }
  return 0;
}

int command(rampart::platform::DataplaneClient& dp, FlowctlArgs& a, rampart::abi::MsgHeader& hdr,
            const std::string& what) {
  auto ack = dp.call(*a.worker, hdr, a.timeout_ms);
  if (!ack) {
    std::fprintf(stderr, "rampart-flowctl: %s: %s\n", what.c_str(), ack.error().message.c_str());
    return kExitNoDataplane;
  }
  if (ack->status != rampart::abi::kOk) {
    std::fprintf(stderr, "rampart-flowctl: %s refused by worker %u: %s\n", what.c_str(), *a.worker,
                 rampart::tools::statusText(ack->status).c_str());
    return kExitRefused;
  }
  if (a.command == FlowctlCommand::Add) {
    const auto h = rampart::abi::unpackHandle(ack->hdr.flow);
    if (a.json) {
      std::printf("{\"worker\":%u,\"handle\":%llu,\"index\":%u,\"generation\":%u}\n", *a.worker,
                  static_cast<unsigned long long>(ack->hdr.flow), h.index, h.generation);
    } else {
      std::printf("%llu\n", static_cast<unsigned long long>(ack->hdr.flow));
    }
  } else if (a.json) {
    std::printf("{\"status\":\"ok\"}\n");
  } else {
    std::printf("ok\n");
  }
  return 0;
}

int list(rampart::platform::DataplaneClient& dp, const FlowctlArgs& a) {
  std::vector<rampart::tools::WorkerFlow> flows;
  uint32_t first = a.worker.value_or(0);
  uint32_t last = a.worker ? *a.worker + 1 : dp.workers();
  for (uint32_t w = first; w < last; ++w) {
    auto dump = dp.dump(w, a.timeout_ms);
    if (!dump) {
      std::fprintf(stderr, "rampart-flowctl: list: %s\n", dump.error().message.c_str());
      return kExitNoDataplane;
    }
    for (const auto& info : *dump) {
      flows.push_back({w, info});
    }
  }
  if (a.json) {
    std::printf("[");
    for (std::size_t i = 0; i < flows.size(); ++i) {
      std::printf("%s%s", i ? "," : "", rampart::tools::flowJson(flows[i]).c_str());
    }
    std::printf("]\n");
  } else {
    rampart::tools::printFlowTable(stdout, flows);
  }
  return 0;
}

int query(rampart::platform::DataplaneClient& dp, const FlowctlArgs& a) {
  // call() with an answer visitor rather than DataplaneClient::query(), so the dataplane's
  // status code (not only its text) decides the exit status.
  rampart::abi::FlowQuery q{};
  q.hdr.type = rampart::abi::MsgType::FlowQuery;
  q.hdr.size = sizeof(q);
  q.hdr.flow = a.handle;
  bool have_info = false;
  rampart::tools::WorkerFlow wf{*a.worker, {}};
  auto ack = dp.call(*a.worker, q.hdr, a.timeout_ms, [&](const rampart::platform::EventView& ev) {
    if (ev.header.type == rampart::abi::MsgType::FlowInfo) {
      wf.info = ev.as<rampart::abi::FlowInfo>();
      have_info = true;
    }
  });
  if (!ack) {
    std::fprintf(stderr, "rampart-flowctl: query: %s\n", ack.error().message.c_str());
    return kExitNoDataplane;
  }
  if (ack->status != rampart::abi::kOk) {
    std::fprintf(stderr, "rampart-flowctl: query %llu refused by worker %u: %s\n",
                 static_cast<unsigned long long>(a.handle), *a.worker,
                 rampart::tools::statusText(ack->status).c_str());
    return kExitRefused;
  }
  if (!have_info) {
    std::fprintf(stderr, "rampart-flowctl: query: worker %u acknowledged without a FlowInfo\n",
                 *a.worker);
    return kExitNoDataplane;
  }
  if (a.json) {
    std::printf("%s\n", rampart::tools::flowJson(wf).c_str());
  } else {
    rampart::tools::printFlowDetail(stdout, wf);
  }
  return 0;
}

int del(rampart::platform::DataplaneClient& dp, FlowctlArgs& a, const std::string& what) {
  rampart::abi::FlowDel msg{};
  msg.hdr.type = rampart::abi::MsgType::FlowDel;
  msg.hdr.size = sizeof(msg);
  msg.hdr.flow = a.handle;
  return command(dp, a, msg.hdr, what);
}

// Many adds/dels over one handshake: programming hundreds of calls one process at a time
// costs a connect per flow.
int batch(rampart::platform::DataplaneClient& dp, const FlowctlArgs& global) {
  std::string line;
  for (std::size_t n = 1; n <= rampart::tools::kMaxBatchLines && std::getline(std::cin, line);
       ++n) {
    auto parsed = rampart::tools::parseBatchLine(line, global);
    const std::string where = "line " + std::to_string(n);
    if (!parsed.args) {
      if (parsed.error.empty()) {
        continue;  // blank or comment
      }
      std::fprintf(stderr, "rampart-flowctl: %s: %s\n", where.c_str(), parsed.error.c_str());
      return kExitUsage;
    }
    FlowctlArgs& a = *parsed.args;
    if (*a.worker >= dp.workers()) {
      std::fprintf(stderr, "rampart-flowctl: %s: --worker %u: the dataplane has %u worker(s)\n",
                   where.c_str(), *a.worker, dp.workers());
      return kExitUsage;
    }
    const int rc = a.command == FlowctlCommand::Add ? command(dp, a, a.add.hdr, where + ": add")
                                                    : del(dp, a, where + ": del");
    if (rc != 0) {
      return rc;
    }
  }
  std::fflush(stdout);
  return 0;
}

int execute(rampart::platform::DataplaneClient& dp, FlowctlArgs& a) {
  switch (a.command) {
    case FlowctlCommand::Hello: return hello(dp, a);
    case FlowctlCommand::List: return list(dp, a);
    case FlowctlCommand::Query: return query(dp, a);
    case FlowctlCommand::Add: return command(dp, a, a.add.hdr, "add");
    case FlowctlCommand::Del: return del(dp, a, "del");
    case FlowctlCommand::Batch: return batch(dp, a);
    case FlowctlCommand::Xcode: return command(dp, a, a.xcode.hdr, "xcode");
    case FlowctlCommand::Ice: {
      int rc = command(dp, a, a.ice.hdr, "ice");
      explicit_bzero(a.ice.local_pwd, sizeof(a.ice.local_pwd));
      return rc;
    }
  }
  return kExitUsage;
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): an escaping exception is a bug; abort on it.
int main(int argc, char** argv) {
  auto parsed = rampart::tools::parseFlowctlArgs(std::vector<std::string>(argv + 1, argv + argc));
  if (parsed.help) {
    std::fputs(rampart::tools::flowctlUsage(), stdout);
    return 0;
  }
  if (!parsed.args) {
    std::fprintf(stderr, "rampart-flowctl: %s\n(see rampart-flowctl --help)\n",
                 parsed.error.c_str());
    return kExitUsage;
  }
  FlowctlArgs& a = *parsed.args;
  auto dp = rampart::platform::DataplaneClient::connect(a.shm, a.timeout_ms);
  if (!dp) {
    std::fprintf(stderr, "rampart-flowctl: cannot attach to dataplane region %s: %s\n",
                 a.shm.c_str(), dp.error().message.c_str());
    return kExitNoDataplane;
  }
  if (a.worker && *a.worker >= dp->workers()) {
    std::fprintf(stderr, "rampart-flowctl: --worker %u: the dataplane has %u worker(s)\n",
                 *a.worker, dp->workers());
    return kExitUsage;
  }
  return execute(*dp, a);
}
