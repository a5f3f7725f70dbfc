#include "config_reload.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <rampart/platform/log.h>

namespace rampart::cp {
namespace {

std::string readFile(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  *ok = static_cast<bool>(in) || in.eof();
  return s.str();
}

bool sameRealmNames(const platform::Config& a, const platform::Config& b) {
  if (a.realms.size() != b.realms.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.realms.size(); ++i) {
    if (a.realms[i].name != b.realms[i].name) {
      return false;
    }
  }
  return true;
}

// The running config with the live parts of `next` (same realm names: checked by the caller).
platform::Config mergeLive(const platform::Config& now, const platform::Config& next) {
  platform::Config eff = now;
  eff.routes = next.routes;
  eff.security = next.security;
  eff.log_level = next.log_level;
  eff.sip.no_answer_timeout_s = next.sip.no_answer_timeout_s;
  eff.sip.max_call_duration_s = next.sip.max_call_duration_s;
  eff.sip.session_expires_s = next.sip.session_expires_s;
  for (std::size_t i = 0; i < eff.realms.size(); ++i) {
    const platform::Realm& n = next.realms[i];
    platform::Realm& r = eff.realms[i];
    r.allowed_origins = n.allowed_origins;
    r.jwt = n.jwt;
    r.websocket = n.websocket;
    r.security = n.security;  // access lists, rates, countries, max_calls: read per request
    if (r.tls && n.tls) {     // adding or removing TLS changes listeners: restart
      r.tls = n.tls;
    }
  }
  if (eff.management.api && next.management.api) {
    eff.management.api->tokens = next.management.api->tokens;
    eff.management.api->tls = next.management.api->tls;
  }
  return eff;
}

}  // namespace

nlohmann::json ReloadOutcome::toJson() const {
  nlohmann::json errs = nlohmann::json::array();
  for (const platform::ConfigError& e : errors) {
    errs.push_back({{"key", e.key}, {"line", e.line}, {"reason", e.reason}});
  }
  nlohmann::json ch = nlohmann::json::array();
  for (const platform::ConfigChange& c : changes) {
    ch.push_back({{"key", c.key},
                  {"before", c.before ? nlohmann::json(*c.before) : nlohmann::json(nullptr)},
                  {"after", c.after ? nlohmann::json(*c.after) : nlohmann::json(nullptr)}});
  }
  nlohmann::json j = {{"ok", ok},
                      {"errors", errs},
                      {"changes", ch},
                      {"applied", applied},
                      {"needs_restart", needs_restart}};
  if (!error.empty()) {
    j["error"] = error;
  }
  return j;
}

ConfigReloader::ConfigReloader(platform::Config& live, std::string path)
    : live_(live), path_(std::move(path)) {
  bool ok = false;
  text_ = readFile(path_, &ok);
}

void ConfigReloader::addHook(Hook hook) { hooks_.push_back(std::move(hook)); }

bool ConfigReloader::liveKey(const std::string& key) {
  static const std::regex kLive(
      R"(^(routes(\[.*)?|security\..*|node\.log_level|sip\.(no_answer_timeout_s|)"
      R"(max_call_duration_s|session_expires_s)|management\.api\.(tokens|tls)(\[.*|\..*)?|)"
      R"(realms\[\d+\]\.(tls|jwt|allowed_origins|websocket|security)(\[.*|\..*)?)$)");
  return std::regex_match(key, kLive);
}

ReloadOutcome ConfigReloader::check(const std::string& yaml, platform::Config* next) const {
  ReloadOutcome out;
  std::string base = std::filesystem::path(path_).parent_path().string();
  platform::ConfigLoadResult loaded = platform::loadConfigText(yaml, base);
  if (!loaded.config) {
    out.errors = std::move(loaded.errors);
    return out;
  }
  out.ok = true;
  out.changes = platform::diffConfigText(text_, yaml);
  bool same_realms = sameRealmNames(live_, *loaded.config);
  for (const platform::ConfigChange& c : out.changes) {
    bool live = same_realms && liveKey(c.key) &&
                !(c.key.rfind("management.api", 0) == 0 && !live_.management.api);
    (live ? out.applied : out.needs_restart).push_back(c.key);
  }
  *next = std::move(*loaded.config);
  return out;
}

ReloadOutcome ConfigReloader::validate(const std::string& yaml) const {
  platform::Config next;
  return check(yaml, &next);
}

ReloadOutcome ConfigReloader::reload() {
  bool read_ok = false;
  std::string yaml = readFile(path_, &read_ok);
  platform::Config next;
  ReloadOutcome out = read_ok ? check(yaml, &next) : ReloadOutcome{};
  if (!read_ok) {
    out.errors.push_back({"", "cannot read " + path_, 0});
  }
  if (!out.ok) {
    return out;
  }
  platform::Config eff = sameRealmNames(live_, next) ? mergeLive(live_, next) : live_;
  for (const Hook& h : hooks_) {
    if (!h.prepare) {
      continue;
    }
    if (Result<void> r = h.prepare(eff); !r) {
      out.ok = false;
      out.error = r.error().message;
      out.needs_restart.clear();
      out.applied.clear();
      return out;
    }
  }
  live_ = eff;  // copy-assigned in place: every component's reference stays valid
  text_ = yaml;
  for (const Hook& h : hooks_) {
    if (h.apply) {
      h.apply(live_);
    }
  }
  RAMPART_LOG(platform::LogLevel::Info, "cp",
              "configuration %s reloaded: %zu change(s) applied, %zu need a restart", path_.c_str(),
              out.applied.size(), out.needs_restart.size());
  return out;
}

}  // namespace rampart::cp
