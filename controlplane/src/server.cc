#include "server.h"

#include <prometheus/counter.h>

#include <rampart/platform/log.h>

#include <rampart/mgmt/api_core_routes.h>
#include <rampart/mgmt/api_server.h>
#include <rampart/mgmt/audit_log.h>

#include "api/api_context.h"
#include "b2bua/call_manager.h"
#include "dtls/dtls_link_adapter.h"
#include "dtls/dtls_service.h"
#include "flowprog/flow_programmer.h"
#include "media/flow_sink.h"
#include "media/media_session.h"
#include "media/port_allocator.h"
#include "media/transcode_book.h"
#include "media/worker_picker.h"
#include "records/call_records.h"
#include "security/drop_list_sync.h"
#include "security/kernel_ban_filter.h"
#include "security/signalling_guard.h"
#include "transport/tls_context.h"
#include "transport/transport_layer.h"
#include "txn/transaction_layer.h"

namespace rampart::cp {

// The media layer programs flows through FlowSink; the FlowProgrammer is that sink.
class FlowProgrammerSink : public FlowSink {
 public:
  explicit FlowProgrammerSink(FlowProgrammer& fp) : fp_(fp) {}
  bool ready() const override { return fp_.ready(); }
  uint32_t workers() const override { return fp_.workers(); }
  Result<uint32_t> submit(uint32_t worker, const abi::MsgHeader& msg, AckHandler done) override {
    return fp_.submit(worker, msg, std::move(done));
  }
  void query(uint32_t worker, uint64_t flow, QueryHandler done) override {
    fp_.query(worker, flow, std::move(done));
  }

 private:
  FlowProgrammer& fp_;
};

// Dataplane events that concern calls.
class DataplaneEvents : public FlowProgrammer::Listener {
 public:
  DataplaneEvents(CallManager& calls, WorkerPicker& workers, FlowProgrammer& fp,
                  dtls::DtlsLinkAdapter* dtls, security::DropListSync& drop_list,
                  prometheus::Registry& registry)
      : calls_(calls), workers_(workers), fp_(fp), dtls_(dtls), drop_list_(drop_list) {
    orphans_ = &prometheus::BuildCounter()
                    .Name("rampart_cp_orphan_flows_removed_total")
                    .Help("Idle flows no call owns (left by an earlier control plane), deleted")
                    .Register(registry)
                    .Add({});
  }
  // A control plane that restarted finds the previous one's flows still forwarding (their
  // calls' media goes on); they are removed once idle, since no call of ours owns them.
  void onFlowIdle(uint32_t worker, const abi::FlowIdle& ev) override {
    if (calls_.onMediaIdle(ev.cookie, ev.hdr.flow)) {
      return;
    }
    abi::FlowDel del{};
    del.hdr.type = abi::MsgType::FlowDel;
    del.hdr.size = sizeof(del);
    del.hdr.flow = ev.hdr.flow;
    auto submitted = fp_.submit(worker, del.hdr, [](Result<abi::Ack>) {});
    if (submitted) {
      orphans_->Increment();
    }
  }
  void onSsrcChange(uint32_t, const abi::SsrcChange&) override {}
  // DTLS records from a browser's ICE-selected address (the dataplane answers STUN itself).
  void onPunt(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload) override {
    if (dtls_ != nullptr) {
      dtls_->onPunt(worker, meta, payload);
    }
  }
  // A Rampart-as-client handshake starts once the browser's address is known.
  void onIceSelected(uint32_t worker, const abi::IceSelected& ev) override {
    const ProgrammedFlow* f = calls_.mediaFlow(ev.cookie, ev.hdr.flow);
    if (dtls_ != nullptr && f != nullptr) {
      dtls_->onIceSelected(worker, ev, f->spec.in_port, f->spec.in_local);
    }
  }
  void onDtmfEvent(uint32_t, const abi::DtmfEvent& ev) override {
    calls_.onDtmfEvent(ev.cookie, ev.hdr.flow, ev);
  }
  void onXcodeRestart(uint32_t worker, const abi::XcodeRestart&) override {
    calls_.onXcodeRestart(worker);
  }
  void onConsentExpired(uint32_t, const abi::ConsentExpired& ev) override {
    calls_.onConsentExpired(ev.cookie);
  }
  void onDataplaneUp(uint64_t epoch, bool new_epoch) override {
    RAMPART_LOG(platform::LogLevel::Info, "cp", "dataplane up (epoch %llu%s)",
                static_cast<unsigned long long>(epoch), new_epoch ? ", new" : "");
    if (fp_.workers() > workers_.workers()) {
      workers_.resize(fp_.workers());  // more workers than the config said: use them all
    }
    if (new_epoch) {
      calls_.onDataplaneRestart();
    }
    drop_list_.resync();  // a new dataplane, or a new session of ours: the list anew
  }
  void onDataplaneDown() override {}

 private:
  CallManager& calls_;
  WorkerPicker& workers_;
  FlowProgrammer& fp_;
  dtls::DtlsLinkAdapter* dtls_;
  security::DropListSync& drop_list_;
  prometheus::Counter* orphans_;
};

namespace {

std::shared_ptr<const sdp::Profile> profileFor(const platform::Realm& realm) {
  auto p = std::make_shared<sdp::Profile>();
  p->kind = realm.sdp_profile == platform::SdpProfile::WebRtc ? sdp::ProfileKind::WebRtc
                                                              : sdp::ProfileKind::Trunk;
  p->audio_codecs = realm.sdp.codecs;
  p->ptime = realm.sdp.ptime;
  constexpr sdp::SrtpMode kModes[] = {sdp::SrtpMode::Off, sdp::SrtpMode::Sdes, sdp::SrtpMode::Dual};
  p->srtp = kModes[static_cast<size_t>(realm.sdp.srtp)];
  p->dtls = realm.sdp.dtls;
  p->rtcp_mux = realm.sdp.rtcp_mux;
  p->transcode_codecs = realm.sdp.transcode;
  return p;
}

}  // namespace

Server::Server(boost::asio::io_context& io, platform::Config& config,
               prometheus::Registry& registry)
    : io_(io), config_(config), gauge_timer_(io), registry_(registry) {
  memory_ = std::make_unique<MemoryReturn>(registry);
  FlowProgrammer::Options opts;
  opts.command_timeout = std::chrono::milliseconds(config.sip.flow_ack_timeout_ms);
  dataplane_ = std::make_unique<FlowProgrammer>(io, config.shm_name, registry, opts);
  sink_ = std::make_unique<FlowProgrammerSink>(*dataplane_);
  workers_ =
      std::make_unique<WorkerPicker>(static_cast<uint32_t>(config.dataplane.worker_cpus.size()));
  media_ = std::make_unique<MediaContext>(MediaContext{*sink_, *workers_, {}, nullptr, {}});
  makeDtls();
  makeTranscodeBook();
  std::vector<MediaRealm> realms = makeMediaRealms();
  makeSignalling();
  calls_ = std::make_unique<CallManager>(io, config, *txn_, *media_, std::move(realms), registry);
  txn_->setUser(calls_.get());
  records_ = std::make_unique<CallRecords>(config_, registry);
  calls_->setObserver(records_.get());
  events_ = std::make_unique<DataplaneEvents>(*calls_, *workers_, *dataplane_, dtls_link_.get(),
                                              *drop_list_, registry);
  dataplane_->setListener(events_.get());
}

// The DTLS service for browser legs (its failure is reported by start()).
void Server::makeDtls() {
  dtls::DtlsOptions dopts;
  dopts.certificate = config_.dtls.certificate;
  dopts.private_key = config_.dtls.private_key;
  dopts.handshake_timeout = std::chrono::seconds(config_.dtls.handshake_timeout_s);
  auto service = dtls::DtlsService::create(
      io_, dopts, registry_,
      [fp = dataplane_.get()](uint32_t worker, const abi::PacketSlot& meta,
                              const uint8_t* payload) {
        return fp->inject(worker, meta, payload);
      });
  if (service.ok()) {
    dtls_ = std::move(service.value());
    dtls_link_ = std::make_unique<dtls::DtlsLinkAdapter>(*dtls_);
    media_->dtls = dtls_link_.get();
  } else {
    dtls_error_ = service.error();
  }
}

// Per-realm transcoding limits and their metrics.
void Server::makeTranscodeBook() {
  std::vector<uint32_t> limits;
  auto& xc_calls = prometheus::BuildGauge()
                       .Name("rampart_cp_transcoded_calls")
                       .Help("Transcoded calls in progress with a leg on the realm")
                       .Register(registry_);
  auto& xc_refused = prometheus::BuildCounter()
                         .Name("rampart_cp_transcode_refused_total")
                         .Help("Calls refused (488) at the realm's max_transcoded_calls")
                         .Register(registry_);
  xc_pairs_ = &prometheus::BuildGauge()
                   .Name("rampart_cp_transcoded_calls_by_pair")
                   .Help("Transcoded calls in progress by codec pair (leg A's codec first)")
                   .Register(registry_);
  for (const platform::Realm& r : config_.realms) {
    limits.push_back(r.sdp.max_transcoded_calls);
    xc_realm_gauges_.push_back(&xc_calls.Add({{"realm", r.name}}));
    xc_refused_.push_back(&xc_refused.Add({{"realm", r.name}}));
  }
  transcode_ = std::make_unique<TranscodeBook>(std::move(limits));
  media_->transcode = transcode_.get();
}

// Each realm's media side: its port allocator, addresses, SDP profile and dataplane port.
std::vector<MediaRealm> Server::makeMediaRealms() {
  auto& ports_family = prometheus::BuildGauge()
                           .Name("rampart_cp_media_ports_in_use")
                           .Help("Media ports allocated to calls, per realm")
                           .Register(registry_);
  std::vector<MediaRealm> realms;
  uint16_t dp_port = 0;
  for (uint32_t i = 0; i < config_.realms.size(); ++i) {
    const platform::Realm& r = config_.realms[i];
    ports_.push_back(std::make_unique<PortAllocator>(r.name, r.media.port_min, r.media.port_max));
    ports_gauges_.push_back(&ports_family.Add({{"realm", r.name}}));
    MediaRealm m;
    m.realm_index = i;
    m.dp_port = dp_port;  // the realm's first device, in config order (dataplane/README.md)
    m.address = r.media.address;
    m.address6 = r.media.address6;
    m.profile = profileFor(r);
    m.ports = ports_.back().get();
    m.latch = r.sdp.latch || r.sdp_profile == platform::SdpProfile::WebRtc;
    realms.push_back(std::move(m));
    dp_port = static_cast<uint16_t>(dp_port + std::max<std::size_t>(1, r.media.devargs.size()));
  }
  return realms;
}

// Transport, transactions and, between them, the security layer with its ban listeners.
void Server::makeSignalling() {
  transport_ = std::make_unique<TransportLayer>(io_, config_, registry_);
  const platform::SipTlsClient& tls = config_.sip.tls_client;
  transport_->setClientTls(
      ClientTlsOptions{tls.verify, tls.ca_file, tls.certificate, tls.private_key});
  TxnTimers timers;
  timers.t1 = std::chrono::milliseconds(config_.sip.t1_ms);
  timers.t2 = 8 * timers.t1;
  timers.t4 = 10 * timers.t1;
  txn_ = std::make_unique<TransactionLayer>(io_, *transport_, registry_, timers);
  // Every message meets the security layer before the transactions see it.
  guard_ = std::make_unique<security::SignallingGuard>(io_, config_, *transport_, registry_);
  guard_->setNext(txn_.get());
  transport_->setSink(guard_.get());
  transport_->setSourceObserver(guard_.get());
  txn_->setResponseObserver(guard_.get());
  drop_list_ = std::make_unique<security::DropListSync>(*sink_, guard_->bans(), registry_);
  guard_->bans().addListener(drop_list_.get());
  if (config_.security.kernel_ban_filter) {
    std::vector<std::string> names;
    for (const platform::Realm& r : config_.realms) {
      names.push_back(r.name);
    }
    kernel_filter_ = std::make_unique<security::KernelBanFilter>(io_, guard_->bans(), *transport_,
                                                                 registry_, names);
    guard_->bans().addListener(kernel_filter_.get());
  }
}

Server::~Server() {
  stop();
  // Calls hold media sessions that reference the sink: they go first.
  calls_.reset();
}

Result<void> Server::start() {
  if (dtls_error_) {
    return Error(dtls_error_->code, "dtls: " + dtls_error_->message);
  }
  guard_->start();
  auto ok = transport_->start();
  if (!ok) {
    return ok;
  }
  if (kernel_filter_) {
    kernel_filter_->start();  // the bans restored from the ban file, on the bound sockets
  }
  dataplane_->start();
  if (auto calls = calls_->start(); !calls) {
    return calls;
  }
  if (auto records = records_->start(); !records) {
    return records;
  }
  if (config_.management.audit) {
    auto log = mgmt::AuditLog::open(config_.management.audit->file);
    if (!log) {
      return log.error();
    }
    audit_ = std::move(log.value());
    audit({{"action", "start"}, {"who", "rampart-controlplane"}});
  }
  if (auto api = startApi(); !api) {
    return api;
  }
  publishGauges();
  return {};
}

Result<void> Server::startApi() {
  if (!config_.management.api) {
    return {};
  }
  const platform::ApiSettings& settings = *config_.management.api;
  auto tls = makeServerTlsContext(settings.tls);
  if (!tls) {
    return Error(tls.error().code, "api: " + tls.error().message);
  }
  mgmt::ApiServerOptions opts;
  opts.endpoint = boost::asio::ip::tcp::endpoint(
      boost::asio::ip::make_address(config_.management.address.text), settings.port);
  api_ = std::make_unique<mgmt::ApiServer>(io_, opts, tls.value(),
                                           mgmt::TokenTable(settings.tokens), registry_);
  mgmt::CoreInfo core;
  core.process = "controlplane";
  core.node = config_.node_name;
  core.readiness = [this] {
    bool dp = dataplane_->ready();
    return nlohmann::json{{"ready", dp}, {"checks", {{"dataplane", dp}, {"signalling", true}}}};
  };
  api_->setActionObserver([this](const mgmt::ApiRequest& q, const mgmt::ApiResponse& r) {
    nlohmann::json e = {{"action", q.method + " " + q.path},
                        {"who", q.principal.empty() ? "(no valid token)" : q.principal},
                        {"role", mgmt::roleName(q.role)},
                        {"from", q.peer},
                        {"status", r.status}};
    if (r.status < 300 || r.status == 422) {
      e["result"] = r.body;  // for a reload: every change by key, applied or not
    }
    audit(std::move(e));
  });
  mgmt::Router& routes = api_->router();
  mgmt::addCoreRoutes(routes, std::move(core));
  ReloadHooks hooks;
  hooks.validate = [this](const std::string& yaml) {
    if (!reloader_) {
      return nlohmann::json{{"ok", false}, {"error", "reload is not enabled"}};
    }
    return reloader_->validate(yaml).toJson();
  };
  hooks.reload = [this](const std::string& who) { return reload(who).toJson(); };
  api_ctx_ = std::make_unique<ApiContext>(
      *calls_, *dataplane_, [this]() -> const platform::Config& { return config_; },
      std::move(hooks));
  addStatusRoutes(routes, *api_ctx_);
  addCallRoutes(routes, *api_ctx_);
  addRegistrationRoutes(routes, *api_ctx_);
  addRoutingRoutes(routes, *api_ctx_);
  addConfigRoutes(routes, *api_ctx_);
  addBanRoutes(routes, *guard_);
  return api_->start();
}

void Server::setConfigPath(const std::string& path) {
  reloader_ = std::make_unique<ConfigReloader>(config_, path);
  addReloadHooks();
}

ReloadOutcome Server::reload(const std::string& who) {
  if (!reloader_) {
    ReloadOutcome out;
    out.error = "reload is not enabled";
    return out;
  }
  RAMPART_LOG(platform::LogLevel::Info, "cp", "configuration reload requested by %s", who.c_str());
  ReloadOutcome out = reloader_->reload();
  if (who == "SIGHUP") {  // API reloads are audited with their request
    audit({{"action", "reload"}, {"who", who}, {"from", "signal"}, {"result", out.toJson()}});
  }
  return out;
}

void Server::audit(nlohmann::json entry) {
  if (!audit_) {
    return;
  }
  if (auto r = audit_->append(std::move(entry)); !r) {
    RAMPART_LOG(platform::LogLevel::Error, "cp", "%s", r.error().message.c_str());
  }
}

// Live parts of a reload, in an order where every fallible step comes before any change.
void Server::addReloadHooks() {
  ConfigReloader::Hook api;
  api.prepare = [this](const platform::Config& next) -> Result<void> {
    pending_api_tls_.reset();
    if (api_ && next.management.api) {
      auto tls = makeServerTlsContext(next.management.api->tls);
      if (!tls) {
        return Error(tls.error().code, "management.api.tls: " + tls.error().message);
      }
      pending_api_tls_ = tls.value();
    }
    return {};
  };
  api.apply = [this](const platform::Config& now) {
    if (api_ && now.management.api && pending_api_tls_) {
      api_->setTls(pending_api_tls_);
      api_->setTokens(mgmt::TokenTable(now.management.api->tokens));
    }
  };
  reloader_->addHook(std::move(api));
  ConfigReloader::Hook transport;  // last fallible step: it applies when it succeeds
  transport.prepare = [this](const platform::Config& next) {
    return transport_->reloadSecurity(next);
  };
  transport.apply = [this](const platform::Config& now) {
    calls_->reloadRoutes();
    if (guard_) {
      guard_->reconfigure();  // security.* access lists and rates
    }
    platform::LogLevel level = platform::LogLevel::Info;
    if (platform::parseLogLevel(now.log_level.c_str(), &level)) {
      platform::setLogLevel(level);
    }
  };
  reloader_->addHook(std::move(transport));
}

void Server::stop() {
  gauge_timer_.cancel();
  if (api_) {
    api_->stop();
  }
  if (calls_) {
    calls_->stop();
  }
  if (kernel_filter_) {
    kernel_filter_->stop();
  }
  if (transport_) {
    transport_->stop();
  }
  if (guard_) {
    guard_->stop();
  }
  if (dataplane_) {
    dataplane_->stop();
  }
}

void Server::releaseSessions() {
  stop();
  calls_.reset();  // media sessions close their DTLS legs
  if (media_) {
    media_->dtls = nullptr;
  }
  dtls_link_.reset();
  dtls_.reset();  // sessions kept for retransmissions
}

void Server::publishTranscodeMetrics() {
  for (uint32_t i = 0; i < xc_realm_gauges_.size(); ++i) {
    xc_realm_gauges_[i]->Set(transcode_->active(i));
    double seen = xc_refused_[i]->Value();
    if (static_cast<double>(transcode_->refused(i)) > seen) {
      xc_refused_[i]->Increment(static_cast<double>(transcode_->refused(i)) - seen);
    }
  }
  for (const auto& [pair, n] : transcode_->pairs()) {
    prometheus::Gauge*& g = xc_pair_gauges_[pair];
    if (g == nullptr) {
      g = &xc_pairs_->Add({{"pair", pair}});
    }
    g->Set(n);
  }
}

void Server::publishGauges() {
  if (api_ctx_) {
    api_ctx_->call_samples.push_back(calls_->callsCreated());
    if (api_ctx_->call_samples.size() > 11) {
      api_ctx_->call_samples.pop_front();
    }
  }
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    ports_gauges_[i]->Set(static_cast<double>(ports_[i]->portsInUse()));
  }
  publishTranscodeMetrics();
  memory_->sample(txn_->active() + calls_->activeCalls());
  gauge_timer_.expires_after(std::chrono::seconds(1));
  gauge_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      publishGauges();
    }
  });
}

}  // namespace rampart::cp
