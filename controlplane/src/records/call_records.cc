#include "records/call_records.h"

#include <algorithm>
#include <set>

#include <rampart/mgmt/call_quality.h>
#include <rampart/platform/log.h>

#include "api/call_view.h"
#include "records/rtcp_rtt.h"

namespace rampart::cp {
namespace {

using nlohmann::json;

json timeOrNull(int64_t unix_ms) { return unix_ms > 0 ? json(unix_ms) : json(nullptr); }

std::vector<std::string> codecsOf(const std::string& sdp) {
  std::vector<std::string> out;
  json s = sdpSummary(sdp);
  for (const json& m : s.value("media", json::array())) {
    for (const json& c : m["codecs"]) {
      out.push_back(c.get<std::string>());
    }
  }
  return out;
}

// The codec a leg used: the first one both sides of its last exchange listed (telephone-event
// and comfort noise are not voice codecs).
std::string negotiatedCodec(const MediaSession& m, Leg leg) {
  std::vector<std::string> ours = codecsOf(m.localSdp(leg));
  std::vector<std::string> theirs = codecsOf(m.remoteSdp(leg));
  for (const std::string& c : ours) {
    std::string name = c.substr(0, c.find('/'));
    if (name == "telephone-event" || name == "CN") {
      continue;
    }
    if (std::find(theirs.begin(), theirs.end(), c) != theirs.end()) {
      return name;
    }
  }
  return "";
}

std::string realmName(const platform::Config& config, uint32_t i) {
  return i < config.realms.size() ? config.realms[i].name : std::to_string(i);
}

// The attempt result, refined: an answered call ended by the dataplane's idle report is a
// media timeout.
std::string resultOf(const Call& call) {
  if (call.result == "answered" && call.end_reason == "media_idle") {
    return "media_timeout";
  }
  return call.result.empty() ? "failed" : call.result;
}

}  // namespace

CallRecords::CallRecords(const platform::Config& config, prometheus::Registry& registry)
    : config_(config), registry_(registry) {
  mos_ = &prometheus::BuildHistogram()
              .Name("rampart_cp_call_mos")
              .Help("Estimated MOS (E-model) per leg of answered calls, by realm")
              .Register(registry);
  jitter_ = &prometheus::BuildHistogram()
                 .Name("rampart_cp_call_jitter_seconds")
                 .Help("RFC 3550 jitter per leg of answered calls, by realm")
                 .Register(registry);
  loss_ = &prometheus::BuildHistogram()
               .Name("rampart_cp_call_loss_ratio")
               .Help("RTP loss ratio per leg of answered calls, by realm")
               .Register(registry);
  ended_ = &prometheus::BuildCounter()
                .Name("rampart_cp_call_records_total")
                .Help(
                    "Calls ended (one per CDR), by the caller's realm and result (answered, busy, "
                    "cancelled, failed, no_answer, media_timeout, ...)")
                .Register(registry);
  // Every realm's series exist from the start (at 0), so rate() sees the first observation.
  for (const platform::Realm& r : config.realms) {
    metricsFor(r.name);
  }
}

Result<void> CallRecords::start() {
  if (!config_.management.cdr) {
    return {};
  }
  const platform::CdrSettings& c = *config_.management.cdr;
  mgmt::CdrWriterOptions o;
  o.directory = c.directory;
  o.max_file_bytes = c.max_file_bytes;
  o.max_files = c.max_files;
  o.fsync_interval = std::chrono::milliseconds(c.fsync_interval_ms);
  writer_ = std::make_unique<mgmt::CdrWriter>(o, registry_);
  return writer_->start();
}

CallRecords::RealmMetrics& CallRecords::metricsFor(const std::string& realm) const {
  auto it = realms_.find(realm);
  if (it == realms_.end()) {
    prometheus::Labels l{{"realm", realm}};
    RealmMetrics m{
        &mos_->Add(l,
                   prometheus::Histogram::BucketBoundaries{1.5, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.4}),
        &jitter_->Add(l, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.02, 0.03,
                                                                 0.05, 0.1, 0.2}),
        &loss_->Add(l, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.02, 0.05, 0.1,
                                                               0.2, 0.5})};
    it = realms_.emplace(realm, m).first;
  }
  return it->second;
}

json CallRecords::legRecord(const Call& call, uint8_t leg, const std::vector<FlowReport>& flows,
                            bool observe) const {
  const DialogLeg& d = leg == 0 ? call.a : call.b;
  json j = {{"realm", realmName(config_, d.realm)}, {"call_id", d.call_id}};
  if (!call.media) {
    return j;
  }
  Leg l = leg == 0 ? Leg::A : Leg::B;
  j["codec"] = negotiatedCodec(*call.media, l);
  mgmt::StreamCounters c;
  std::string srtp = "none";
  bool measured = false;
  const auto& programmed = call.media->flows();
  for (std::size_t i = 0; i < flows.size() && i < programmed.size(); ++i) {
    const FlowReport& f = flows[i];
    if (f.from != leg || f.rtcp) {
      continue;
    }
    srtp = srtpSuiteName(programmed[i].spec.srtp_in.suite);
    if (f.info) {
      measured = true;
      c.packets += f.info->packets;
      c.lost += f.info->rtp_lost;
      c.jitter_ms = std::max(c.jitter_ms, f.info->jitter_ts * 1000.0 / f.clock_rate);
    }
  }
  j["srtp"] = srtp;
  if (!measured) {
    j["quality"] = nullptr;  // the dataplane did not answer: unknown, not zero
    return j;
  }
  std::vector<RttFlow> rtt_flows;
  for (const FlowReport& f : flows) {
    rtt_flows.push_back({f.from, f.info ? &*f.info : nullptr});
  }
  c.rtt_ms = legRttMs(leg, rtt_flows);
  mgmt::StreamQuality q = mgmt::estimateQuality(c, j["codec"].get<std::string>());
  j["quality"] = {{"packets", c.packets},
                  {"lost", c.lost},
                  {"loss_ratio", q.loss_ratio},
                  {"jitter_ms", q.jitter_ms},
                  {"rtt_ms", c.rtt_ms ? json(*c.rtt_ms) : json(nullptr)},
                  {"r_factor", q.r_factor},
                  {"mos", q.mos},
                  {"rtcp", c.rtt_ms.has_value()}};
  if (observe && c.packets > 0) {
    RealmMetrics& m = metricsFor(j["realm"].get<std::string>());
    m.mos->Observe(q.mos);
    m.jitter->Observe(q.jitter_ms / 1000.0);
    m.loss->Observe(q.loss_ratio);
  }
  return j;
}

json CallRecords::record(const Call& call, const std::vector<FlowReport>& flows) const {
  bool answered = call.answered_unix_ms > 0;
  json r = {
      {"id", call.id},
      {"caller", call.a.remote.uri.str()},
      {"callee", call.a.local.uri.str()},
      {"callee_contact", call.b.remote_target.str()},
      {"route", call.route_name},
      {"start_ms", timeOrNull(call.created_unix_ms)},
      {"ringing_ms", timeOrNull(call.ringing_unix_ms)},
      {"answer_ms", timeOrNull(call.answered_unix_ms)},
      {"end_ms", timeOrNull(call.ended_unix_ms)},
      {"duration_s",
       answered ? static_cast<double>(call.ended_unix_ms - call.answered_unix_ms) / 1000.0 : 0.0},
      {"result", resultOf(call)},
      {"sip_status", call.final_status},
      {"end_reason", call.end_reason},
      {"ended_by", call.ended_by}};
  r["legs"] = {{"a", legRecord(call, 0, flows, false)}, {"b", legRecord(call, 1, flows, false)}};
  return r;
}

void CallRecords::onCallEnded(const Call& call, const std::vector<FlowReport>& flows) {
  json r = record(call, flows);
  ended_
      ->Add(
          {{"realm", realmName(config_, call.a.realm)}, {"result", r["result"].get<std::string>()}})
      .Increment();
  if (call.answered_unix_ms > 0) {
    legRecord(call, 0, flows, true);
    legRecord(call, 1, flows, true);
  }
  if (writer_) {
    writer_->write(r.dump());
  }
}

}  // namespace rampart::cp
