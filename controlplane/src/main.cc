// rampart-controlplane: loads and validates the configuration, exposes metrics on the
// management address, and keeps a handshaken link to rampart-dataplane through shared memory.
// Signalling (SIP over WSS/UDP/TCP/TLS) arrives with the control-plane issue.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <rampart/cp/dataplane_link.h>
#include <rampart/mgmt/metrics.h>
#include <rampart/platform/config.h>
#include <rampart/platform/log.h>
#include <rampart/platform/process_options.h>
#include <rampart/platform/signals.h>

using namespace rampart;

int main(int argc, char** argv) {
  auto opts = platform::parseProcessOptions(argc, argv);
  if (!opts) {
    std::fprintf(stderr, "rampart-controlplane: %s\n%s", opts.error().message.c_str(),
                 platform::processUsage(argv[0]).c_str());
    return 2;
  }
  if (opts->help) {
    std::printf("%s", platform::processUsage(argv[0]).c_str());
    return 0;
  }
  if (!opts->extra.empty()) {
    std::fprintf(stderr, "rampart-controlplane: unknown argument '%s'\n%s",
                 opts->extra.front().c_str(), platform::processUsage(argv[0]).c_str());
    return 2;
  }
  auto loaded = platform::loadConfigFile(opts->config_path);
  if (!loaded.config) {
    std::fprintf(stderr, "%s", platform::formatConfigErrors(opts->config_path, loaded.errors).c_str());
    std::fprintf(stderr, "rampart-controlplane: configuration %s has %zu error(s)\n",
                 opts->config_path.c_str(), loaded.errors.size());
    return 1;
  }
  const platform::Config& config = *loaded.config;
  if (opts->check_only) {
    std::printf("rampart-controlplane: configuration %s is valid\n%s", opts->config_path.c_str(),
                platform::describeConfig(config).c_str());
    return 0;
  }
  platform::LogLevel level = platform::LogLevel::Info;
  const std::string& level_text = opts->log_level.empty() ? config.log_level : opts->log_level;
  if (!platform::parseLogLevel(level_text.c_str(), &level)) {
    std::fprintf(stderr, "rampart-controlplane: unknown log level '%s'\n", level_text.c_str());
    return 2;
  }
  platform::setLogLevel(level);
  platform::installStopHandlers();

  auto metrics = mgmt::MetricsServer::start(config.management.address.text,
                                            config.management.controlplane_port, "controlplane");
  if (!metrics) {
    RAMPART_LOG(platform::LogLevel::Error, "cp", "%s", metrics.error().message.c_str());
    return 1;
  }
  cp::DataplaneLink link(config.shm_name, metrics.value()->registry());
  metrics.value()->addCollectable(mgmt::makeRingCollector([&link] { return link.region(); }));
  RAMPART_LOG(platform::LogLevel::Info, "cp",
              "rampart-controlplane %d started: metrics on http://%s:%u/metrics, dataplane "
              "region %s",
              static_cast<int>(getpid()), config.management.address.text.c_str(),
              config.management.controlplane_port, config.shm_name.c_str());

  while (!platform::stopRequested()) {
    link.poll();
    platform::waitForStop(20);
  }
  RAMPART_LOG(platform::LogLevel::Info, "cp", "rampart-controlplane stopping");
  return 0;
}
