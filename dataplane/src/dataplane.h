#pragma once
// Start-up and shutdown of the dataplane process: EAL, ports, shared-memory region, worker
// lcores, heartbeat. main.cc only parses the command line and wires metrics.
#include <functional>
#include <string>
#include <vector>

#include <rampart/platform/config.h>
#include <rampart/platform/shm_region.h>

#include "net/iface.h"

namespace rampart::dp {

struct RunOptions {
  std::vector<std::string> extra_eal;  // appended after the config's EAL arguments
  // Called on the main lcore once the region exists and workers run (metrics start here),
  // with the region, the transcoder's <shm>.xc region and the ports.
  std::function<void(const platform::ShmRegion&, const platform::ShmRegion&, const IfaceSet&)>
      on_ready;
  // Called before the ports stop (metrics stop here).
  std::function<void()> on_stop;
};

// The EAL argument vector for `cfg`: program name, the config's eal_args, an lcore list from
// main_cpu/worker_cpus (unless eal_args already pins lcores), one --vdev per realm, extras.
std::vector<std::string> buildEalArgs(const platform::Config& cfg,
                                      const std::vector<std::string>& extra);

// Runs until SIGINT/SIGTERM. @return the process exit code (0 on a clean stop).
int runDataplane(const platform::Config& cfg, const RunOptions& opt);

}  // namespace rampart::dp
