#pragma once
// Command line of rampart-flowctl, parsed into ready-to-send ABI messages without touching the
// dataplane, so every argument check is unit-tested.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rampart/platform/abi.h>

namespace rampart::tools {

enum class FlowctlCommand { Hello, Add, Del, List, Query, Batch, Ice, Xcode };

struct FlowctlArgs {
  std::string shm = "/rampart";
  uint32_t timeout_ms = 5000;  // generous: a loaded lab machine can stall a worker ~1 s
  bool json = false;
  FlowctlCommand command = FlowctlCommand::Hello;
  std::optional<uint32_t> worker;  // required for add/del/query; list: all when absent
  uint64_t handle = 0;             // del, query, ice
  abi::FlowAdd add{};              // add: complete message except hdr.seq
  abi::FlowIce ice{};              // ice: complete message except hdr.seq
  abi::XcodeSetup xcode{};         // xcode: complete message except hdr.seq
};

struct FlowctlParse {
  std::optional<FlowctlArgs> args;
  std::string error;  // names the offending argument
  bool help = false;
};

FlowctlParse parseFlowctlArgs(const std::vector<std::string>& argv);

// One line of `batch` input: an add or del command with its options, as on the command line
// ("add --worker 0 --in-port 0 ..."). Global options (--shm, --timeout-ms, --json) come from
// `global`. Blank lines and lines starting with '#' parse to no args and no error.
FlowctlParse parseBatchLine(const std::string& line, const FlowctlArgs& global);

// Lines a batch may hold; a bound, not a tuning knob.
inline constexpr std::size_t kMaxBatchLines = 1000000;
const char* flowctlUsage();

// The dataplane's Ack/HelloAck status in words ("flow table full"), for any value.
std::string statusText(int32_t status);

}  // namespace rampart::tools
