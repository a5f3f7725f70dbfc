#include <rampart/platform/process_options.h>

namespace rampart::platform {

Result<ProcessOptions> parseProcessOptions(int argc, char** argv, bool passthrough_after_dashes) {
  ProcessOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> Result<std::string> {
      if (i + 1 >= argc) {
        return Error{ErrorCode::InvalidArgument, std::string("option ") + name + " needs a value"};
      }
      return std::string(argv[++i]);
    };
    if (a == "--config" || a == "-c") {
      auto v = value("--config");
      if (!v) {
        return v.error();
      }
      o.config_path = v.value();
    } else if (a.rfind("--config=", 0) == 0) {
      o.config_path = a.substr(9);
    } else if (a == "--check-config" || a == "-t") {
      o.check_only = true;
    } else if (a == "--log-level") {
      auto v = value("--log-level");
      if (!v) {
        return v.error();
      }
      o.log_level = v.value();
    } else if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--" && passthrough_after_dashes) {
      o.passthrough.assign(argv + i + 1, argv + argc);
      break;
    } else {
      o.extra.push_back(a);
    }
  }
  return o;
}

std::string processUsage(const char* program) {
  return std::string("usage: ") + program +
         " [--config PATH] [--check-config] [--log-level debug|info|warn|error]\n"
         "  --config PATH     configuration file (default /etc/rampart/rampart.yaml)\n"
         "  --check-config    validate the configuration, print every error, exit 0 or 1\n";
}

}  // namespace rampart::platform
