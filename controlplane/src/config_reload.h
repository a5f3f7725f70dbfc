#pragma once
// Configuration reload (SIGHUP and POST /api/v1/config/reload). The file is loaded and fully
// validated first: on any error nothing changes and every error is reported by key. Then the
// keys that changed are sorted into those applied live and those that need a restart, and the
// live ones are applied without dropping calls or connections:
//   routes (recompiled, targets' health checks follow), security.* (read where used),
//   realms[i].tls / jwt / allowed_origins / websocket (for connections accepted from now on),
//   management.api.tokens / tls, node.log_level, sip.no_answer_timeout_s,
//   sip.max_call_duration_s, sip.session_expires_s (for calls set up from now on).
// Anything else (listeners, media, dataplane, ports, realm names...) keeps its running value
// and is reported under `needs_restart`, so the config in force never claims what is not.
// Preparing a live part may fail (a certificate that does not load): then nothing is applied.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <rampart/platform/config.h>
#include <rampart/platform/config_diff.h>
#include <rampart/platform/result.h>

namespace rampart::cp {

struct ReloadOutcome {
  bool ok = false;
  std::string error;                          // a live part could not be prepared
  std::vector<platform::ConfigError> errors;  // validation errors
  std::vector<platform::ConfigChange> changes;
  std::vector<std::string> applied;        // changed keys now in force
  std::vector<std::string> needs_restart;  // changed keys kept at their running value

  nlohmann::json toJson() const;
};

class ConfigReloader {
 public:
  // A live part: `prepare` builds what can fail from the candidate (nothing applied if any
  // fails); `apply` switches to it once the config in force was updated.
  struct Hook {
    std::function<Result<void>(const platform::Config& next)> prepare;
    std::function<void(const platform::Config& now)> apply;
  };

  /// `live` is the config every component reads (updated in place); `path` the file.
  ConfigReloader(platform::Config& live, std::string path);
  void addHook(Hook hook);

  /// Validates a candidate file's text against the running one (nothing is applied).
  ReloadOutcome validate(const std::string& yaml) const;
  /// Reloads the file at `path`.
  ReloadOutcome reload();
  const std::string& path() const { return path_; }

  /// True when a change of `key` can be applied live (realm structure unchanged).
  static bool liveKey(const std::string& key);

 private:
  ReloadOutcome check(const std::string& yaml, platform::Config* next) const;

  platform::Config& live_;
  std::string path_;
  std::string text_;  // the file in force
  std::vector<Hook> hooks_;
};

}  // namespace rampart::cp
