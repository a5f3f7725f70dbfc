#include "dtls/dtls_router.h"

#include <algorithm>
#include <cstring>

#include "dtls/record_demux.h"

namespace rampart::cp::dtls {

DtlsRouter::DtlsRouter(boost::asio::io_context& io, std::shared_ptr<const DtlsContext> ctx,
                       DtlsOptions opts, DtlsMetrics& metrics, InjectFn inject)
    : io_(io),
      ctx_(std::move(ctx)),
      opts_(std::move(opts)),
      metrics_(metrics),
      inject_(std::move(inject)) {}

DtlsRouter::~DtlsRouter() = default;

Result<void> DtlsRouter::start(LegParams params, Session::DoneFn done) {
  if (legs_.count(params.key) != 0) {
    return Error(ErrorCode::AlreadyExists, "a DTLS session already exists for flow " +
                                               std::to_string(params.key.flow) + " on worker " +
                                               std::to_string(params.key.worker));
  }
  LegKey key = params.key;
  Session::Params sp;
  sp.role = params.role;
  sp.remote_fingerprints = std::move(params.remote_fingerprints);
  sp.send = [this, key](std::span<const uint8_t> d) { send(key, d); };
  sp.done = std::move(done);
  Result<std::unique_ptr<Session>> s = Session::create(io_, ctx_, opts_, std::move(sp), &metrics_);
  if (!s) {
    return s.error();
  }
  Leg& leg = legs_[key];
  leg.session = std::move(s.value());
  leg.reply = params.reply;
  if (params.role == Role::Server || leg.reply) {
    // Last: a Client's start() sends at once and may already complete (and remove the leg).
    leg.session->start();
  }
  return {};
}

void DtlsRouter::setReplyPath(const LegKey& key, const ReplyPath& path) {
  auto it = legs_.find(key);
  if (it == legs_.end()) {
    return;
  }
  it->second.reply = path;
  if (it->second.session->state() == Session::State::Idle) {
    it->second.session->start();  // last: may complete and remove the leg
  }
}

void DtlsRouter::remove(const LegKey& key) { legs_.erase(key); }

const Session* DtlsRouter::find(const LegKey& key) const {
  auto it = legs_.find(key);
  return it == legs_.end() ? nullptr : it->second.session.get();
}

void DtlsRouter::onPunt(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload) {
  if (meta.kind != abi::kPacketDtls) {
    metrics_.dropped(DropReason::NotDtls);
    return;
  }
  std::span<const uint8_t> datagram(payload, std::min<size_t>(meta.len, abi::kMaxPacket));
  DemuxResult check = checkDatagram(datagram);
  if (check.verdict != RecordVerdict::Ok) {
    metrics_.dropped(check.verdict);
    return;
  }
  auto it = legs_.find(LegKey{worker, meta.flow});
  if (it == legs_.end()) {
    metrics_.dropped(DropReason::UnknownFlow);
    return;
  }
  Leg& leg = it->second;
  Session::State st = leg.session->state();
  if (st != Session::State::Handshaking && st != Session::State::Done) {
    metrics_.dropped(DropReason::SessionDone);
    return;
  }
  // Answers go back where the peer's records come from (the ICE-selected remote).
  ReplyPath& path = leg.reply.emplace();
  path.port = meta.port;
  path.family = meta.family;
  path.local = meta.local;
  path.remote = meta.remote;
  leg.session->receive(datagram);  // last: `done` may remove the leg
}

void DtlsRouter::send(const LegKey& key, std::span<const uint8_t> datagram) {
  auto it = legs_.find(key);
  if (it == legs_.end() || !it->second.reply || datagram.size() > abi::kMaxPacket) {
    metrics_.injectRefused();
    return;
  }
  const ReplyPath& path = *it->second.reply;
  abi::PacketSlot meta{};
  meta.len = static_cast<uint16_t>(datagram.size());
  meta.port = path.port;
  meta.family = path.family;
  meta.kind = abi::kPacketDtls;
  meta.local = path.local;
  meta.remote = path.remote;
  meta.flow = key.flow;
  if (!inject_ || !inject_(key.worker, meta, datagram.data())) {
    metrics_.injectRefused();
  }
}

}  // namespace rampart::cp::dtls
