#pragma once
// Command-line options common to rampart-dataplane and rampart-controlplane:
//   --config PATH      configuration file (default /etc/rampart/rampart.yaml)
//   --check-config     validate the configuration, print every error, exit 0 or 1
//   --log-level LEVEL  debug|info|warn|error (overrides node.log_level)
//   --help
//   -- ARGS...         with `passthrough_after_dashes`: the rest, untouched (the dataplane's
//                      extra EAL arguments, whose -c must not read as --config)
#include <string>
#include <vector>

#include <rampart/platform/result.h>

namespace rampart::platform {

struct ProcessOptions {
  std::string config_path = "/etc/rampart/rampart.yaml";
  bool check_only = false;
  bool help = false;
  std::string log_level;                 // empty: from the config
  std::vector<std::string> extra;        // unrecognised arguments, for the caller to handle
  std::vector<std::string> passthrough;  // after "--", when the caller asked for that
};

// @return Error naming the option when a value is missing.
Result<ProcessOptions> parseProcessOptions(int argc, char** argv,
                                           bool passthrough_after_dashes = false);
std::string processUsage(const char* program);

}  // namespace rampart::platform
