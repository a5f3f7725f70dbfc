// rampart-transcoder: the codec process (docs/ARCHITECTURE.md, "Transcoding"). Attaches the
// dataplane's <shm>.xc region, serves every worker's transcoder rings, and reattaches when
// the dataplane restarts.
//
//   rampart-transcoder [--config PATH] [--shm NAME] [--log-level L]
#include <time.h>

#include <cstdio>
#include <optional>
#include <string>

#include <rampart/platform/config.h>
#include <rampart/platform/log.h>
#include <rampart/platform/process_options.h>
#include <rampart/platform/signals.h>

#include "engine.h"

namespace {

using namespace rampart;
constexpr const char* kLog = "xc";

// Polls while there is work; after 64 empty passes sleeps 100 us per pass so an idle
// transcoder costs almost no CPU (media arrives every 10-40 ms per call).
void serve(const platform::ShmRegion& region) {
  xc::Engine engine(region);
  uint32_t empty = 0;
  uint64_t next_check = platform::monotonicNs();
  while (!platform::stopRequested()) {
    if (engine.poll() > 0) {
      empty = 0;
    } else if (++empty > 64) {
      timespec ts{0, 100000};
      nanosleep(&ts, nullptr);
    }
    uint64_t now = platform::monotonicNs();
    if (now >= next_check) {
      next_check = now + 200000000ull;
      if (platform::ShmRegion::currentEpoch(region.name()) != region.epoch()) {
        RAMPART_LOG(platform::LogLevel::Warn, kLog,
                    "region %s: dataplane restarted, dropping %llu session(s) and reattaching",
                    region.name().c_str(), static_cast<unsigned long long>(engine.sessions()));
        return;
      }
    }
  }
}

std::optional<std::string> shmOverride(const std::vector<std::string>& extra, bool* bad) {
  *bad = false;
  for (size_t i = 0; i < extra.size(); ++i) {
    if (extra[i] == "--shm" && i + 1 < extra.size()) {
      return extra[i + 1];
    }
    *bad = true;
  }
  return std::nullopt;
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): an escaping exception is a bug; abort on it.
int main(int argc, char** argv) {
  auto opts = platform::parseProcessOptions(argc, argv);
  bool bad = false;
  std::optional<std::string> shm = opts ? shmOverride(opts.value().extra, &bad) : std::nullopt;
  if (!opts || opts.value().help || bad) {
    std::fprintf(stderr,
                 "%s\n  --shm NAME         the dataplane's region name (default: "
                 "shm_name of the config); the transcoder attaches NAME.xc\n",
                 platform::processUsage("rampart-transcoder").c_str());
    return opts && opts.value().help ? 0 : 2;
  }
  std::string name = "/rampart";
  if (!shm) {
    auto cfg = platform::loadConfigFile(opts.value().config_path);
    if (!cfg.config) {
      std::fputs(platform::formatConfigErrors(opts.value().config_path, cfg.errors).c_str(),
                 stderr);
      return 1;
    }
    name = cfg.config->shm_name;
  } else {
    name = *shm;
  }
  if (opts.value().check_only) {
    return 0;
  }
  platform::installStopHandlers();
  name += ".xc";
  bool waiting_logged = false;
  while (!platform::stopRequested()) {
    auto r = platform::ShmRegion::attach(name, true);
    if (!r) {
      if (!waiting_logged) {
        RAMPART_LOG(platform::LogLevel::Info, kLog, "waiting for region %s: %s", name.c_str(),
                    r.error().message.c_str());
        waiting_logged = true;
      }
      platform::waitForStop(200);
      continue;
    }
    waiting_logged = false;
    RAMPART_LOG(platform::LogLevel::Info, kLog, "attached %s: %u worker(s), epoch %llu",
                name.c_str(), r.value().workers(),
                static_cast<unsigned long long>(r.value().epoch()));
    serve(r.value());
  }
  return 0;
}
