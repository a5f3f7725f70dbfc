#pragma once
// Text and JSON renderings of dataplane flow state for rampart-flowctl.
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <rampart/platform/abi.h>

namespace rampart::tools {

struct WorkerFlow {
  uint32_t worker;
  abi::FlowInfo info;
};

std::string endpointText(const abi::Endpoint& e, bool ipv6);
std::string flagsText(uint16_t flags);
std::string flowJson(const WorkerFlow& f);
// Fixed-width table with a header line; one row per flow.
void printFlowTable(std::FILE* out, const std::vector<WorkerFlow>& flows);
// "key: value" lines for one flow (query).
void printFlowDetail(std::FILE* out, const WorkerFlow& f);

}  // namespace rampart::tools
