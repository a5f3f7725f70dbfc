// /api/v1/status: one summary for an operator's first look (calls, registrations, calls per
// second, the dataplane link and its media ports).
#include <map>

#include "api/api_context.h"
#include "b2bua/call_manager.h"
#include "flowprog/flow_programmer.h"

namespace rampart::cp {
namespace {

using mgmt::ApiRequest;
using mgmt::ApiResponse;
using mgmt::Respond;
using mgmt::Role;
using nlohmann::json;

json mediaPorts(const platform::Config& config) {
  json ports = json::array();
  uint32_t index = 0;
  for (const platform::Realm& r : config.realms) {
    for (const std::string& dev : r.media.devargs) {
      // The dataplane does not publish link state to the control plane yet: null, not a guess.
      ports.push_back({{"port", index++},
                       {"realm", r.name},
                       {"device", dev},
                       {"interface", r.media.interface},
                       {"address", r.media.address.text},
                       {"link_up", nullptr}});
    }
  }
  return ports;
}

}  // namespace

void addStatusRoutes(mgmt::Router& router, ApiContext& ctx) {
  router.add(
      {"GET", "/api/v1/status", Role::Viewer,
       [&ctx](const ApiRequest&, Respond done) {
         std::map<std::string, uint64_t> by_state;
         std::size_t active = 0;
         ctx.calls.forEachCall([&](const Call& c) {
           if (c.state != CallState::Ended) {
             ++by_state[callStateName(c.state)];
             ++active;
           }
         });
         auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::steady_clock::now() - ctx.started)
                           .count();
         double cps = 0;
         if (ctx.call_samples.size() >= 2) {
           cps = static_cast<double>(ctx.call_samples.back() - ctx.call_samples.front()) /
                 static_cast<double>(ctx.call_samples.size() - 1);
         }
         json dp = {{"connected", ctx.dataplane.ready()},
                    {"workers", ctx.dataplane.workers()},
                    {"epoch", ctx.dataplane.epoch()}};
         done(ApiResponse::json(
             200,
             {{"node", ctx.config().node_name},
              {"uptime_s", uptime},
              {"calls",
               {{"active", active}, {"by_state", by_state}, {"created", ctx.calls.callsCreated()}}},
              {"calls_per_second", cps},
              {"registrations", ctx.calls.registrations().active()},
              {"dataplane", dp},
              {"media_ports", mediaPorts(ctx.config())}}));
       },
       "status summary"});
}

}  // namespace rampart::cp
