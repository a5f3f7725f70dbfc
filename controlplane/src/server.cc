#include "server.h"

#include <prometheus/counter.h>

#include <rampart/platform/log.h>

#include "b2bua/call_manager.h"
#include "dtls/dtls_link_adapter.h"
#include "dtls/dtls_service.h"
#include "flowprog/flow_programmer.h"
#include "media/flow_sink.h"
#include "media/media_session.h"
#include "media/port_allocator.h"
#include "media/transcode_book.h"
#include "media/worker_picker.h"
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

 private:
  FlowProgrammer& fp_;
};

// Dataplane events that concern calls.
class DataplaneEvents : public FlowProgrammer::Listener {
 public:
  DataplaneEvents(CallManager& calls, WorkerPicker& workers, FlowProgrammer& fp,
                  dtls::DtlsLinkAdapter* dtls, prometheus::Registry& registry)
      : calls_(calls), workers_(workers), fp_(fp), dtls_(dtls) {
    orphans_ = &prometheus::BuildCounter()
                    .Name("rampart_cp_orphan_flows_removed_total")
                    .Help("Idle flows no call owns (left by an earlier control plane), deleted")
                    .Register(registry)
                    .Add({});
  }
  // A control plane that restarted finds the previous one's flows still forwarding (their
  // calls' media goes on); they are removed once idle, since no call of ours owns them.
  void onFlowIdle(uint32_t worker, const abi::FlowIdle& ev) override {
    if (calls_.onMediaIdle(ev.cookie)) {
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
  }
  void onDataplaneDown() override {}

 private:
  CallManager& calls_;
  WorkerPicker& workers_;
  FlowProgrammer& fp_;
  dtls::DtlsLinkAdapter* dtls_;
  prometheus::Counter* orphans_;
};

namespace {

std::shared_ptr<const sdp::Profile> profileFor(const platform::Realm& realm) {
  auto p = std::make_shared<sdp::Profile>();
  p->kind = realm.sdp_profile == platform::SdpProfile::WebRtc ? sdp::ProfileKind::WebRtc
                                                              : sdp::ProfileKind::Trunk;
  p->audioCodecs = realm.sdp.codecs;
  p->ptime = realm.sdp.ptime;
  p->srtp = realm.sdp.srtp == platform::SrtpPolicy::Sdes ? sdp::SrtpMode::Sdes : sdp::SrtpMode::Off;
  p->rtcpMux = realm.sdp.rtcp_mux;
  p->transcodeCodecs = realm.sdp.transcode;
  return p;
}

}  // namespace

Server::Server(boost::asio::io_context& io, const platform::Config& config,
               prometheus::Registry& registry)
    : io_(io), config_(config), gauge_timer_(io) {
  FlowProgrammer::Options opts;
  opts.command_timeout = std::chrono::milliseconds(config.sip.flow_ack_timeout_ms);
  dataplane_ = std::make_unique<FlowProgrammer>(io, config.shm_name, registry, opts);
  sink_ = std::make_unique<FlowProgrammerSink>(*dataplane_);
  workers_ =
      std::make_unique<WorkerPicker>(static_cast<uint32_t>(config.dataplane.worker_cpus.size()));
  media_ = std::make_unique<MediaContext>(MediaContext{*sink_, *workers_, {}, nullptr, {}});
  dtls::DtlsOptions dopts;
  dopts.certificate = config.dtls.certificate;
  dopts.private_key = config.dtls.private_key;
  dopts.handshake_timeout = std::chrono::seconds(config.dtls.handshake_timeout_s);
  auto service = dtls::DtlsService::create(
      io, dopts, registry,
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

  std::vector<uint32_t> limits;
  auto& xc_calls = prometheus::BuildGauge()
                       .Name("rampart_cp_transcoded_calls")
                       .Help("Transcoded calls in progress with a leg on the realm")
                       .Register(registry);
  auto& xc_refused = prometheus::BuildCounter()
                         .Name("rampart_cp_transcode_refused_total")
                         .Help("Calls refused (488) at the realm's max_transcoded_calls")
                         .Register(registry);
  xc_pairs_ = &prometheus::BuildGauge()
                   .Name("rampart_cp_transcoded_calls_by_pair")
                   .Help("Transcoded calls in progress by codec pair (leg A's codec first)")
                   .Register(registry);
  for (const platform::Realm& r : config.realms) {
    limits.push_back(r.sdp.max_transcoded_calls);
    xc_realm_gauges_.push_back(&xc_calls.Add({{"realm", r.name}}));
    xc_refused_.push_back(&xc_refused.Add({{"realm", r.name}}));
  }
  transcode_ = std::make_unique<TranscodeBook>(std::move(limits));
  media_->transcode = transcode_.get();

  auto& ports_family = prometheus::BuildGauge()
                           .Name("rampart_cp_media_ports_in_use")
                           .Help("Media ports allocated to calls, per realm")
                           .Register(registry);
  std::vector<MediaRealm> realms;
  uint16_t dp_port = 0;
  for (uint32_t i = 0; i < config.realms.size(); ++i) {
    const platform::Realm& r = config.realms[i];
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

  transport_ = std::make_unique<TransportLayer>(io, config, registry);
  TxnTimers timers;
  timers.t1 = std::chrono::milliseconds(config.sip.t1_ms);
  timers.t2 = 8 * timers.t1;
  timers.t4 = 10 * timers.t1;
  txn_ = std::make_unique<TransactionLayer>(io, *transport_, registry, timers);
  transport_->setSink(txn_.get());
  calls_ = std::make_unique<CallManager>(io, config, *txn_, *media_, std::move(realms), registry);
  txn_->setUser(calls_.get());
  events_ = std::make_unique<DataplaneEvents>(*calls_, *workers_, *dataplane_, dtls_link_.get(),
                                              registry);
  dataplane_->setListener(events_.get());
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
  auto ok = transport_->start();
  if (!ok) {
    return ok;
  }
  dataplane_->start();
  if (auto calls = calls_->start(); !calls) {
    return calls;
  }
  publishGauges();
  return {};
}

void Server::stop() {
  gauge_timer_.cancel();
  if (calls_) {
    calls_->stop();
  }
  if (transport_) {
    transport_->stop();
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
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    ports_gauges_[i]->Set(static_cast<double>(ports_[i]->portsInUse()));
  }
  publishTranscodeMetrics();
  gauge_timer_.expires_after(std::chrono::seconds(1));
  gauge_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      publishGauges();
    }
  });
}

}  // namespace rampart::cp
