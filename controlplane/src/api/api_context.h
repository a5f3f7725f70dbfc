#pragma once
// What the management API's route handlers reach: the control plane's objects, all owned by
// Server and used on its event loop. Each *_routes.cc adds one area's routes to the table
// (rampart/mgmt/api_router.h explains the mechanism; Server::startApi calls them all).
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <rampart/mgmt/api_router.h>
#include <rampart/platform/config.h>

namespace rampart::cp {

class CallManager;
class FlowProgrammer;
namespace security {
class SignallingGuard;
}

// Config reload as the API and SIGHUP see it (config_reload.h implements it).
struct ReloadHooks {
  // Validates a candidate file's text: {"valid", "errors": [{key, line, reason}]}.
  std::function<nlohmann::json(const std::string& yaml)> validate;
  // Reloads the file Rampart was started with; `who` for the audit log.
  std::function<nlohmann::json(const std::string& who)> reload;
};

struct ApiContext {
  ApiContext(CallManager& c, FlowProgrammer& dp, std::function<const platform::Config&()> cfg,
             ReloadHooks hooks)
      : calls(c), dataplane(dp), config(std::move(cfg)), reload(std::move(hooks)) {}

  CallManager& calls;
  FlowProgrammer& dataplane;
  std::function<const platform::Config&()> config;  // the config in force
  ReloadHooks reload;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // Calls created, sampled each second (the last 11 samples): calls per second over 10 s.
  std::deque<uint64_t> call_samples;
};

void addStatusRoutes(mgmt::Router& router, ApiContext& ctx);
void addCallRoutes(mgmt::Router& router, ApiContext& ctx);
void addRegistrationRoutes(mgmt::Router& router, ApiContext& ctx);
void addRoutingRoutes(mgmt::Router& router, ApiContext& ctx);
void addConfigRoutes(mgmt::Router& router, ApiContext& ctx);
void addBanRoutes(mgmt::Router& router, security::SignallingGuard& guard);

/// The id in a path parameter as a number; nullopt when it is not one.
std::optional<uint64_t> parseId(const std::string& text);

}  // namespace rampart::cp
