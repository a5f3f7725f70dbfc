// rampart-controlplane: loads and validates the configuration, exposes metrics on the
// management address, and keeps a handshaken link to rampart-dataplane through shared memory.
// Everything runs on one boost::asio::io_context on the main thread (the metrics server has
// its own); SIGTERM/SIGINT stop it. Signalling: SIP over UDP/TCP (and WSS/TLS) through the
// B2BUA (server.h builds the layers).
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <rampart/mgmt/metrics.h>
#include <rampart/platform/config.h>
#include <rampart/platform/log.h>
#include <rampart/platform/process_options.h>
#include "flowprog/flow_programmer.h"
#include "server.h"

using namespace rampart;

namespace {

void logReload(const cp::ReloadOutcome& r) {
  for (const platform::ConfigError& e : r.errors) {
    RAMPART_LOG(platform::LogLevel::Error, "cp", "reload refused: %s: %s", e.key.c_str(),
                e.reason.c_str());
  }
  if (!r.error.empty()) {
    RAMPART_LOG(platform::LogLevel::Error, "cp", "reload refused: %s", r.error.c_str());
  }
  for (const std::string& k : r.needs_restart) {
    RAMPART_LOG(platform::LogLevel::Warn, "cp", "reload: %s changed; needs a restart", k.c_str());
  }
}

}  // namespace

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
    std::fprintf(stderr, "%s",
                 platform::formatConfigErrors(opts->config_path, loaded.errors).c_str());
    std::fprintf(stderr, "rampart-controlplane: configuration %s has %zu error(s)\n",
                 opts->config_path.c_str(), loaded.errors.size());
    return 1;
  }
  platform::Config& config = *loaded.config;  // a reload updates it in place
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
  std::signal(SIGPIPE, SIG_IGN);  // peers closing sockets must not kill an SBC

  auto metrics = mgmt::MetricsServer::start(config.management.address.text,
                                            config.management.controlplane_port, "controlplane");
  if (!metrics) {
    RAMPART_LOG(platform::LogLevel::Error, "cp", "%s", metrics.error().message.c_str());
    return 1;
  }
  boost::asio::io_context io(1);  // one thread owns every call, socket and timer
  cp::Server server(io, config, metrics.value()->registry());
  server.setConfigPath(opts->config_path);
  cp::FlowProgrammer& dataplane = server.dataplane();
  metrics.value()->addCollectable(
      mgmt::makeRingCollector([&dataplane] { return dataplane.region(); }));
  // SIGHUP: reload the config file (validated first; the old one stays on any error).
  boost::asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (!ec) {
        logReload(server.reload("SIGHUP"));
        wait_hup();
      }
    });
  };
  wait_hup();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) {
      return;
    }
    RAMPART_LOG(platform::LogLevel::Info, "cp", "rampart-controlplane stopping (signal %d)", signo);
    server.stop();
    hup.cancel();
    io.stop();
  });
  auto started = server.start();
  if (!started) {
    RAMPART_LOG(platform::LogLevel::Error, "cp", "%s", started.error().message.c_str());
    return 1;
  }
  RAMPART_LOG(platform::LogLevel::Info, "cp",
              "rampart-controlplane %d started: metrics on http://%s:%u/metrics, dataplane "
              "region %s",
              static_cast<int>(getpid()), config.management.address.text.c_str(),
              config.management.controlplane_port, config.shm_name.c_str());
  io.run();
  // Calls and DTLS sessions update metrics as they end: end them while the registry exists.
  server.releaseSessions();
  // The collector reads `dataplane`: stop serving scrapes before it goes away.
  metrics.value().reset();
  RAMPART_LOG(platform::LogLevel::Info, "cp", "rampart-controlplane stopped");
  return 0;
}
