#pragma once
// Routes DTLS datagrams between the dataplane's punt/inject rings and the sessions, one per
// browser media leg, keyed by the leg's flow: the worker and packHandle() of the flow whose
// port receives the browser's packets (PacketSlot.worker/flow; handles are per worker, so the
// worker is part of the key).
//
// In: onPunt() (from FlowProgrammer::Listener::onPunt for kPacketDtls slots) checks every
// record of the datagram (checkDatagram) before a session's OpenSSL sees a byte; garbage,
// datagrams for unknown flows and datagrams for finished sessions are dropped and counted
// (rampart_cp_dtls_records_dropped_total{reason}), never answered.
// Out: each datagram a session writes becomes one inject slot toward the leg's reply path:
// the source of the last good datagram from the peer (the dataplane punts DTLS only from the
// ICE-selected remote), or, before any arrived, the path given to start() or setReplyPath()
// (the dataplane's IceSelected remote and the flow's local address and port). A Client leg
// without a path waits: its ClientHello goes out when setReplyPath() gives one.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <rampart/platform/abi.h>
#include <rampart/platform/result.h>

#include "dtls/dtls_context.h"
#include "dtls/dtls_metrics.h"
#include "dtls/dtls_options.h"
#include "dtls/session.h"

namespace rampart::cp::dtls {

// Where a leg's datagrams go: PacketSlot's addressing fields for the inject ring.
struct ReplyPath {
  uint16_t port = 0;   // dataplane port index (as FlowAdd.in_port)
  uint8_t family = 4;  // 4 or 6
  abi::Endpoint local{};
  abi::Endpoint remote{};
};

struct LegKey {
  uint32_t worker = 0;
  uint64_t flow = 0;  // packHandle() of the browser-leg flow
  bool operator==(const LegKey&) const = default;
};

class DtlsRouter {
 public:
  /// Enqueues one packet on a worker's inject ring (FlowProgrammer::inject); false if refused.
  using InjectFn =
      std::function<bool(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload)>;

  struct LegParams {
    LegKey key;
    Role role = Role::Server;
    std::vector<Fingerprint> remote_fingerprints;
    std::optional<ReplyPath> reply;  // a Client without one starts at setReplyPath()
  };

  DtlsRouter(boost::asio::io_context& io, std::shared_ptr<const DtlsContext> ctx, DtlsOptions opts,
             DtlsMetrics& metrics, InjectFn inject);
  ~DtlsRouter();
  DtlsRouter(const DtlsRouter&) = delete;
  DtlsRouter& operator=(const DtlsRouter&) = delete;

  /// Creates the leg's session and starts it (a Client with a reply path sends its
  /// ClientHello now; one without waits for setReplyPath()). `done` runs once on the loop
  /// with the keys or the error (see Session); the session stays registered either way until
  /// remove(). `done` may call remove().
  /// @return Error{AlreadyExists} for a key that has a session, Error{InvalidArgument}
  ///   without fingerprints, or as Session::create.
  Result<void> start(LegParams params, Session::DoneFn done);

  /// Sets a leg's reply path (the dataplane reported the ICE-selected remote); starts a Client
  /// leg that was waiting for it. Unknown keys are ignored.
  void setReplyPath(const LegKey& key, const ReplyPath& path);

  /// Forgets a leg's session (hang-up, re-negotiation); unknown keys are ignored.
  void remove(const LegKey& key);

  /// One punted packet (any kind; only kPacketDtls is looked at).
  void onPunt(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload);

  const Session* find(const LegKey& key) const;
  size_t size() const { return legs_.size(); }

 private:
  struct KeyHash {
    size_t operator()(const LegKey& k) const {
      return std::hash<uint64_t>()(k.flow ^ (uint64_t{k.worker} * 0x9e3779b97f4a7c15ULL));
    }
  };
  struct Leg {
    std::unique_ptr<Session> session;
    std::optional<ReplyPath> reply;
  };

  void send(const LegKey& key, std::span<const uint8_t> datagram);

  boost::asio::io_context& io_;
  std::shared_ptr<const DtlsContext> ctx_;
  DtlsOptions opts_;
  DtlsMetrics& metrics_;
  InjectFn inject_;
  std::unordered_map<LegKey, Leg, KeyHash> legs_;
};

}  // namespace rampart::cp::dtls
