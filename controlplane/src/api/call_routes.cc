// /api/v1/calls: list (filters, paging), one call with live media statistics, end a call,
// a call's dataplane flows.
#include <algorithm>
#include <charconv>
#include <memory>

#include "api/api_context.h"
#include "api/call_view.h"
#include "b2bua/call_manager.h"
#include "flowprog/flow_programmer.h"
#include "records/rtcp_rtt.h"

namespace rampart::cp {
namespace {

using mgmt::ApiRequest;
using mgmt::ApiResponse;
using mgmt::Respond;
using mgmt::Role;
using nlohmann::json;

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;

bool contains(const std::string& haystack, const std::string& needle) {
  return needle.empty() || haystack.find(needle) != std::string::npos;
}

// ?state=&realm=&route=&user= (user: substring of either party's URI).
bool selected(const ApiRequest& q, const json& c) {
  std::string realm = q.arg("realm");
  return (q.arg("state").empty() || c["state"] == q.arg("state")) &&
         (realm.empty() || c["a_realm"] == realm || c["b_realm"] == realm) &&
         (q.arg("route").empty() || c["route"] == q.arg("route")) &&
         (contains(c["from"].get<std::string>(), q.arg("user")) ||
          contains(c["to"].get<std::string>(), q.arg("user")));
}

std::optional<std::size_t> sizeArg(const ApiRequest& q, const std::string& key,
                                   std::size_t fallback) {
  std::string v = q.arg(key);
  if (v.empty()) {
    return fallback;
  }
  std::optional<uint64_t> n = parseId(v);
  if (!n) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(*n);
}

void listCalls(ApiContext& ctx, const ApiRequest& q, Respond done) {
  std::optional<std::size_t> limit = sizeArg(q, "limit", kDefaultLimit);
  std::optional<std::size_t> offset = sizeArg(q, "offset", 0);
  if (!limit || !offset || *limit == 0 || *limit > kMaxLimit) {
    done(ApiResponse::error(400, "bad_paging", "limit must be 1-1000 and offset a number"));
    return;
  }
  std::vector<json> all;
  ctx.calls.forEachCall([&](const Call& c) {
    if (c.state == CallState::Ended) {
      return;
    }
    json s = callSummary(c, ctx.config());
    if (selected(q, s)) {
      all.push_back(std::move(s));
    }
  });
  std::sort(all.begin(), all.end(), [](const json& x, const json& y) { return x["id"] < y["id"]; });
  json page = json::array();
  for (std::size_t i = *offset; i < all.size() && page.size() < *limit; ++i) {
    page.push_back(std::move(all[i]));
  }
  done(ApiResponse::json(
      200, {{"total", all.size()}, {"offset", *offset}, {"limit", *limit}, {"calls", page}}));
}

// Each answered flow's stats get `rtt_ms`: the RTCP round trip to the party it receives from
// (null until that party's reports quote a forwarded SR; records/rtcp_rtt.h).
void addLegRtt(json& flows, const std::vector<std::optional<abi::FlowInfo>>& infos) {
  std::vector<RttFlow> in;
  for (std::size_t i = 0; i < infos.size(); ++i) {
    uint8_t from = flows[i]["from_leg"] == "a" ? 0 : 1;
    in.push_back({from, infos[i] ? &*infos[i] : nullptr});
  }
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (infos[i]) {
      std::optional<double> rtt = legRttMs(in[i].from, in);
      flows[i]["stats"]["rtt_ms"] = rtt ? json(*rtt) : json(nullptr);
    }
  }
}

// Asks the dataplane for every flow of the call; `done` gets the flows with their counters.
void withLiveFlows(ApiContext& ctx, const Call& call, std::function<void(json)> done) {
  json flows = flowList(call);
  if (flows.empty() || !call.media) {
    done(flows);
    return;
  }
  struct Pending {
    json flows;
    std::size_t left;
    std::function<void(json)> done;
    std::vector<std::optional<abi::FlowInfo>> infos;
  };
  auto p =
      std::make_shared<Pending>(Pending{flows, flows.size(), std::move(done),
                                        std::vector<std::optional<abi::FlowInfo>>(flows.size())});
  uint32_t worker = call.media->worker();
  for (std::size_t i = 0; i < flows.size(); ++i) {
    uint64_t handle = flows[i]["handle"].get<uint64_t>();
    uint32_t rate = flows[i]["clock_rate"].get<uint32_t>();
    ctx.dataplane.query(worker, handle, [p, i, rate](Result<abi::FlowInfo> info) {
      p->flows[i]["stats"] =
          info ? flowStats(info.value(), rate) : json{{"error", info.error().message}};
      if (info) {
        p->infos[i] = info.value();
      }
      if (--p->left == 0) {
        addLegRtt(p->flows, p->infos);
        p->done(std::move(p->flows));
      }
    });
  }
}

const Call* callOf(ApiContext& ctx, const ApiRequest& q, const Respond& done) {
  std::optional<uint64_t> id = parseId(q.params.at("id"));
  const Call* call = id ? ctx.calls.findCall(*id) : nullptr;
  if (call == nullptr) {
    done(ApiResponse::error(404, "not_found", "no call " + q.params.at("id")));
  }
  return call;
}

void showCall(ApiContext& ctx, const ApiRequest& q, Respond done) {
  const Call* call = callOf(ctx, q, done);
  if (call == nullptr) {
    return;
  }
  json detail = callDetail(*call, ctx.config());
  withLiveFlows(ctx, *call, [detail, done](json flows) mutable {
    detail["flows"] = std::move(flows);
    done(ApiResponse::json(200, detail));
  });
}

}  // namespace

std::optional<uint64_t> parseId(const std::string& text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return v;
}

void addCallRoutes(mgmt::Router& router, ApiContext& ctx) {
  router.add({"GET", "/api/v1/calls", Role::Viewer,
              [&ctx](const ApiRequest& q, Respond done) { listCalls(ctx, q, std::move(done)); },
              "list calls"});
  router.add({"GET", "/api/v1/calls/{id}", Role::Viewer,
              [&ctx](const ApiRequest& q, Respond done) { showCall(ctx, q, std::move(done)); },
              "one call with live media statistics"});
  router.add({"DELETE", "/api/v1/calls/{id}", Role::Operator,
              [&ctx](const ApiRequest& q, Respond done) {
                std::optional<uint64_t> id = parseId(q.params.at("id"));
                Result<void> r = id ? ctx.calls.endByOperator(*id, q.principal)
                                    : Result<void>(Error(ErrorCode::NotFound, "bad id"));
                done(r ? ApiResponse::json(200, {{"ended", *id}, {"by", q.principal}})
                       : ApiResponse::error(404, "not_found", r.error().message));
              },
              "end a call (BYE to both legs)"});
  router.add({"GET", "/api/v1/calls/{id}/flows", Role::Viewer,
              [&ctx](const ApiRequest& q, Respond done) {
                const Call* call = callOf(ctx, q, done);
                if (call != nullptr) {
                  withLiveFlows(ctx, *call, [done, id = call->id](json flows) {
                    done(ApiResponse::json(200, {{"call", id}, {"flows", flows}}));
                  });
                }
              },
              "a call's dataplane flows and their counters"});
}

}  // namespace rampart::cp
