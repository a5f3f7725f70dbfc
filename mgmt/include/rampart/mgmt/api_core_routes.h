#pragma once
// Routes every Rampart API serves whatever the process: health (the process answers),
// readiness (it can take calls: `ready` decides), version and build information, and the
// OpenAPI description itself.
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include <rampart/mgmt/api_router.h>

namespace rampart::mgmt {

struct CoreInfo {
  std::string process;  // "controlplane"
  std::string node;     // node.name from the config
  // {"ready": bool, "checks": {name: bool, ...}}; 503 when not ready.
  std::function<nlohmann::json()> readiness;
};

void addCoreRoutes(Router& router, CoreInfo info);

/// {"version", "compiler", "build_type", "boost", "openssl"}: what `rampart_build_info` says.
nlohmann::json buildInfo();

}  // namespace rampart::mgmt
