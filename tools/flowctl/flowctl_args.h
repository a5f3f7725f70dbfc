#pragma once
// Command line of rampart-flowctl, parsed into ready-to-send ABI messages without touching the
// dataplane, so every argument check is unit-tested.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rampart/platform/abi.h>

namespace rampart::tools {

enum class FlowctlCommand { Hello, Add, Del, List, Query };

struct FlowctlArgs {
  std::string shm = "/rampart";
  uint32_t timeout_ms = 5000;  // generous: a loaded lab machine can stall a worker ~1 s
  bool json = false;
  FlowctlCommand command = FlowctlCommand::Hello;
  std::optional<uint32_t> worker;  // required for add/del/query; list: all when absent
  uint64_t handle = 0;             // del, query
  abi::FlowAdd add{};              // add: complete message except hdr.seq
};

struct FlowctlParse {
  std::optional<FlowctlArgs> args;
  std::string error;  // names the offending argument
  bool help = false;
};

FlowctlParse parseFlowctlArgs(const std::vector<std::string>& argv);
const char* flowctlUsage();

// The dataplane's Ack/HelloAck status in words ("flow table full"), for any value.
std::string statusText(int32_t status);

}  // namespace rampart::tools
