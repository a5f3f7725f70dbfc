#pragma once
// The media layer's DtlsLink (media/dtls_link.h) on top of DtlsService: what MediaSession
// calls (fingerprint, open, close), plus the two inputs the wiring in server.cc feeds from the
// dataplane: punted DTLS records (onPunt) and the ICE-selected browser address
// (onIceSelected), which a leg where Rampart is the DTLS client waits for before its
// ClientHello.
#include <cstdint>
#include <string>
#include <unordered_map>

#include <rampart/platform/abi.h>
#include <rampart/platform/result.h>

#include "dtls/dtls_router.h"
#include "dtls/dtls_service.h"
#include "media/dtls_link.h"

namespace rampart::cp::dtls {

class DtlsLinkAdapter final : public DtlsLink {
 public:
  explicit DtlsLinkAdapter(DtlsService& service) : service_(service) {}

  /// The hex pairs of Rampart's sha-256 fingerprint (what follows "sha-256 " in the SDP).
  std::string fingerprint() const override;
  /// Parses @p peerFingerprint ("<hash> <hex>"), replaces any handshake of (worker, flow) and
  /// starts one: as server at once, as client when onIceSelected gives the browser's address.
  /// @return Error{Malformed}/Error{NotAcceptable} for a bad fingerprint, or as
  ///   DtlsRouter::start.
  Result<void> open(uint32_t worker, uint64_t flow, bool client, const std::string& peerFingerprint,
                    Done done) override;
  /// Forgets the handshake of @p flow on the worker open() gave it.
  void close(uint64_t flow) override;

  /// A punted packet (FlowProgrammer::Listener::onPunt).
  void onPunt(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload) {
    service_.router().onPunt(worker, meta, payload);
  }
  /// The dataplane's IceSelected for @p flow, with the flow's own side: its dataplane port
  /// index (FlowAdd.in_port) and local address, which the event does not carry.
  void onIceSelected(uint32_t worker, const abi::IceSelected& ev, uint16_t port,
                     const abi::Endpoint& local);

 private:
  DtlsService& service_;
  // open()'s worker per flow, for close(flow).
  std::unordered_map<uint64_t, uint32_t> worker_of_;
};

}  // namespace rampart::cp::dtls
