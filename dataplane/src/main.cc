// rampart-dataplane: the DPDK media relay. Parses the command line, loads and validates the
// configuration, then hands over to runDataplane() (dataplane.cc).
//
//   rampart-dataplane [--config PATH] [--check-config] [--log-level L] [-- EAL args...]
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rampart/dp/stats_layout.h>
#include <rampart/platform/config.h>
#include <rampart/platform/log.h>
#include <rampart/platform/process_options.h>
#include <rampart/platform/spsc_ring.h>

#include "dataplane.h"

#ifdef RAMPART_DP_HAVE_MGMT
#include <rampart/mgmt/metrics.h>

#include "stats/metrics_collector.h"
#include "stats/xcode_collector.h"
#endif

namespace {

using rampart::platform::Config;

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

// The configuration, loaded and checked, or nullopt after every problem was printed.
std::optional<Config> loadChecked(const std::string& path) {
  auto loaded = rampart::platform::loadConfigFile(path);
  if (!loaded.config) {
    std::fprintf(stderr, "%s", rampart::platform::formatConfigErrors(path, loaded.errors).c_str());
    return std::nullopt;
  }
  auto errs = checkDataplane(*loaded.config);
  for (const auto& e : errs) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), e.c_str());
  }
  if (!errs.empty()) {
    return std::nullopt;
  }
  return std::move(*loaded.config);
}

#ifdef RAMPART_DP_HAVE_MGMT
// /metrics on the management address, started once the region exists.
void wireMetrics(const Config& cfg, rampart::dp::RunOptions& opt,
                 std::unique_ptr<rampart::mgmt::MetricsServer>& metrics) {
  opt.on_ready = [&cfg, &metrics](const rampart::platform::ShmRegion& region,
                                  const rampart::platform::ShmRegion& xc_region,
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
    metrics->addCollectable(rampart::dp::makeXcodeCollector(&xc_region));
    RAMPART_LOG(rampart::platform::LogLevel::Info, "dataplane", "metrics on %s",
                metrics->boundAddress().c_str());
  };
  opt.on_stop = [&metrics] { metrics.reset(); };
}
#endif

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): an escaping exception is a bug; abort on it.
int main(int argc, char** argv) {
  namespace platform = rampart::platform;
  // The options both binaries share; what follows "--" goes to EAL untouched.
  auto opts = platform::parseProcessOptions(argc, argv, true);
  if (!opts || !opts->extra.empty()) {
    std::fprintf(stderr, "rampart-dataplane: %s\n%s  -- ARGS...        extra DPDK EAL arguments\n",
                 !opts ? opts.error().message.c_str()
                       : ("unknown argument '" + opts->extra.front() + "'").c_str(),
                 platform::processUsage(argv[0]).c_str());
    return 2;
  }
  if (opts->help) {
    std::printf("%s  -- ARGS...        extra DPDK EAL arguments\n",
                platform::processUsage(argv[0]).c_str());
    return 0;
  }
  std::optional<Config> cfg = loadChecked(opts->config_path);
  if (!cfg) {
    return 1;
  }
  if (opts->check_only) {
    std::printf("%s: configuration OK\n", opts->config_path.c_str());
    return 0;
  }
  platform::LogLevel level = platform::LogLevel::Info;
  const std::string& level_text = opts->log_level.empty() ? cfg->log_level : opts->log_level;
  if (!platform::parseLogLevel(level_text.c_str(), &level)) {
    std::fprintf(stderr, "rampart-dataplane: unknown log level '%s'\n", level_text.c_str());
    return 2;
  }
  platform::setLogLevel(level);

  rampart::dp::RunOptions opt;
  opt.extra_eal = opts->passthrough;
#ifdef RAMPART_DP_HAVE_MGMT
  std::unique_ptr<rampart::mgmt::MetricsServer> metrics;
  wireMetrics(*cfg, opt, metrics);
#endif
  return rampart::dp::runDataplane(*cfg, opt);
}
