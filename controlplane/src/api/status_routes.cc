// /api/v1/status: one summary for an operator's first look (calls, registrations, calls per
// second, the dataplane link and its media ports).
#include <algorithm>
#include <map>

#include <rampart/dp/stats_layout.h>
#include <rampart/platform/shm_region.h>

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

// The dataplane main lcore polls link state every ~200 ms; older than this it is unknown (a
// dataplane that stopped polling must not keep showing "up").
constexpr uint64_t kLinkStaleNs = 3'000'000'000ull;

// Port `index`'s link as the dataplane published it (dp::GlobalStats); nulls when unknown:
// no dataplane attached, an older dataplane, or a stale entry.
json linkOf(const platform::ShmRegion* region, uint32_t index) {
  json j = {{"link_up", nullptr}, {"speed_mbps", nullptr}, {"duplex", nullptr}};
  if (region == nullptr || !region->valid()) {
    return j;
  }
  const auto* g = static_cast<const dp::GlobalStats*>(region->globalStats());
  if (__atomic_load_n(&g->magic, __ATOMIC_ACQUIRE) != dp::kGlobalStatsMagic ||
      dp::readRelaxed(g->version) != dp::kGlobalStatsVersion ||
      index >= std::min(dp::readRelaxed(g->n_ports), dp::kMaxPorts)) {
    return j;
  }
  const dp::PortLink& p = g->ports[index];
  const uint64_t updated = dp::readRelaxed(p.updated_ns);
  if (updated == 0 || platform::monotonicNs() - updated > kLinkStaleNs) {
    return j;
  }
  j["link_up"] = dp::readRelaxed(p.up) != 0;
  const uint32_t speed = dp::readRelaxed(p.speed_mbps);
  if (speed != 0) {
    j["speed_mbps"] = speed;
  }
  j["duplex"] = dp::readRelaxed(p.full_duplex) != 0 ? "full" : "half";
  j["link_changes"] = dp::readRelaxed(p.changes);
  return j;
}

json mediaPorts(const platform::Config& config, const platform::ShmRegion* region) {
  json ports = json::array();
  uint32_t index = 0;
  for (const platform::Realm& r : config.realms) {
    for (const std::string& dev : r.media.devargs) {
      json p = {{"port", index},
                {"realm", r.name},
                {"device", dev},
                {"interface", r.media.interface},
                {"address", r.media.address.text}};
      p.update(linkOf(region, index++));
      ports.push_back(std::move(p));
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
         std::shared_ptr<const platform::ShmRegion> region = ctx.dataplane.region();
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
              {"media_ports", mediaPorts(ctx.config(), region.get())}}));
       },
       "status summary"});
}

}  // namespace rampart::cp
