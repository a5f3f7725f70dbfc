// rampart-dataplane: the DPDK media relay. Parses the command line, loads and validates the
// configuration, then hands over to runDataplane() (dataplane.cc).
//
//   rampart-dataplane --config PATH [--check-config] [--log-level L] [-- EAL args...]
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rampart/dp/stats_layout.h>
#include <rampart/platform/config.h>
#include <rampart/platform/log.h>
#include <rampart/platform/spsc_ring.h>

#include "dataplane.h"

#ifdef RAMPART_DP_HAVE_MGMT
#include <rampart/mgmt/metrics.h>

#include "stats/metrics_collector.h"
#endif

namespace {

using rampart::platform::Config;

void usage() {
  std::fprintf(stderr,
               "usage: rampart-dataplane --config PATH [--check-config] [--log-level "
               "debug|info|warn|error] [-- EAL args...]\n");
}

// Dataplane-specific checks on top of the loader's validation; every problem is reported.
std::vector<std::string> checkDataplane(const Config& cfg) {
  std::vector<std::string> errs;
  const auto& dp = cfg.dataplane;
  if (dp.worker_cpus.empty() || dp.worker_cpus.size() > rampart::platform::kMaxWorkers) {
    errs.push_back("dataplane.worker_cpus: need 1.." +
                   std::to_string(rampart::platform::kMaxWorkers) + " CPUs");
  }
  for (int c : dp.worker_cpus) {
    if (c == dp.main_cpu) {
      errs.push_back("dataplane.worker_cpus: CPU " + std::to_string(c) +
                     " is also dataplane.main_cpu");
    }
  }
  if (dp.flow_capacity == 0 || dp.flow_capacity > (1u << 22)) {
    errs.push_back("dataplane.flow_capacity: must be 1..4194304");
  }
  struct {
    const char* key;
    uint32_t v;
  } rings[] = {{"dataplane.command_slots", dp.command_slots},
               {"dataplane.event_slots", dp.event_slots},
               {"dataplane.punt_slots", dp.punt_slots},
               {"dataplane.inject_slots", dp.inject_slots}};
  for (const auto& r : rings) {
    if (!rampart::platform::isPowerOfTwo(r.v)) {
      errs.push_back(std::string(r.key) + ": must be a power of two");
    }
  }
  if (cfg.realms.empty()) {
    errs.push_back("realms: at least one realm with a media port is needed");
  }
  // Every device name once across all realms (EAL refuses a repeated vdev name).
  std::vector<std::pair<std::string, std::string>> seen;  // device name, key that used it
  for (std::size_t i = 0; i < cfg.realms.size(); ++i) {
    const auto& m = cfg.realms[i].media;
    std::string key = "realms[" + std::to_string(i) + "].media.devargs";
    if (m.devargs.empty()) {
      errs.push_back(key + ": a DPDK device is required");
    }
    for (std::size_t k = 0; k < m.devargs.size(); ++k) {
      std::string name = m.devargs[k].substr(0, m.devargs[k].find(','));
      std::string here = m.devargs.size() > 1 ? key + "[" + std::to_string(k) + "]" : key;
      for (const auto& [other, where] : seen) {
        if (other == name) {
          errs.push_back(here + ": device name " + name + " also used by " + where);
        }
      }
      seen.emplace_back(name, here);
    }
  }
  if (seen.size() > rampart::dp::kMaxPorts) {
    errs.push_back("realms: " + std::to_string(seen.size()) + " media ports configured, at most " +
                   std::to_string(rampart::dp::kMaxPorts) + " are supported");
  }
  return errs;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  std::vector<std::string> extra_eal;
  const char* log_level = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--check-config") {
      check_only = true;
    } else if (a == "--log-level" && i + 1 < argc) {
      log_level = argv[++i];
    } else if (a == "--") {
      for (++i; i < argc; ++i) {
        extra_eal.emplace_back(argv[i]);
      }
    } else {
      usage();
      return 2;
    }
  }
  if (config_path.empty()) {
    usage();
    return 2;
  }
#ifndef RAMPART_DP_HAVE_CONFIG_LOADER
  std::fprintf(stderr, "%s: this build has no configuration loader (platform)\n",
               config_path.c_str());
  (void)check_only;
  (void)log_level;
  (void)checkDataplane;
  return 1;
#else
  auto loaded = rampart::platform::loadConfigFile(config_path);
  if (!loaded.config) {
    std::fprintf(stderr, "%s",
                 rampart::platform::formatConfigErrors(config_path, loaded.errors).c_str());
    return 1;
  }
  const Config& cfg = *loaded.config;
  auto errs = checkDataplane(cfg);
  for (const auto& e : errs) {
    std::fprintf(stderr, "%s: %s\n", config_path.c_str(), e.c_str());
  }
  if (!errs.empty()) {
    return 1;
  }
  if (check_only) {
    std::printf("%s: configuration OK\n", config_path.c_str());
    return 0;
  }
  rampart::platform::LogLevel level;
  if (rampart::platform::parseLogLevel(log_level != nullptr ? log_level : cfg.log_level.c_str(),
                                       &level)) {
    rampart::platform::setLogLevel(level);
  }

  rampart::dp::RunOptions opt;
  opt.extra_eal = extra_eal;
#ifdef RAMPART_DP_HAVE_MGMT
  std::unique_ptr<rampart::mgmt::MetricsServer> metrics;
  opt.on_ready = [&](const rampart::platform::ShmRegion& region,
                     const rampart::dp::IfaceSet& ifaces) {
    auto server = rampart::mgmt::MetricsServer::start(cfg.management.address.text,
                                                      cfg.management.dataplane_port, "dataplane");
    if (!server) {
      // Media keeps flowing without metrics; say so loudly.
      RAMPART_LOG(rampart::platform::LogLevel::Error, "dataplane", "metrics: %s",
                  server.error().message.c_str());
      return;
    }
    metrics = std::move(server.value());
    metrics->addCollectable(rampart::mgmt::makeRingCollector(&region));
    metrics->addCollectable(rampart::dp::makeDataplaneCollector(&region, &ifaces));
    RAMPART_LOG(rampart::platform::LogLevel::Info, "dataplane", "metrics on %s",
                metrics->boundAddress().c_str());
  };
  opt.on_stop = [&] { metrics.reset(); };
#endif
  return rampart::dp::runDataplane(cfg, opt);
#endif
}
