#pragma once
// The security layer's place in the signalling path: a MessageSink between the transport and
// the transaction layer. Every message from the network meets the ban list and the Limiter on
// a cheap peek (security/request_peek.h) before the full parse; refused requests get a 503 with
// Retry-After or vanish (counted either way). It also watches what comes back: final responses
// that reject credentials (401/407 to a request that carried them, 403) and refused WebSocket
// tokens count toward a ban, as does sustained excess over the rate limits. Bans expire on a
// quarter-second sweep; BanList listeners (dataplane drop list, state file) follow every change.
//
// Depends on transport (to answer), sip (to build the 503) and the txn observer interface;
// nothing below knows this layer exists (docs/ARCHITECTURE.md, "Security").
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <rampart/platform/config.h>

#include "security/ban_list.h"
#include "security/ban_store.h"
#include "security/geo_filter.h"
#include "security/limiter.h"
#include "security/security_metrics.h"
#include "transport/transport_layer.h"
#include "txn/transaction_layer.h"

namespace rampart::cp::security {

class SignallingGuard : public MessageSink,
                        public TransactionLayer::ResponseObserver,
                        public SourceObserver,
                        private BanList::Listener {
 public:
  SignallingGuard(boost::asio::io_context& io, const platform::Config& config,
                  TransportLayer& transport, prometheus::Registry& registry);
  ~SignallingGuard() override;
  /// Where admitted messages go (the transaction layer).
  void setNext(MessageSink* next) { next_ = next; }
  /// Restores the bans of security.ban_file and starts the expiry sweep.
  void start();
  /// Stops the sweep and writes the ban file.
  void stop();

  /// After a config reload: access lists and rates from the config in force (the geo
  /// database follows its file on the next sweep; ban and failure settings are read live).
  void reconfigure() {
    limiter_.reconfigure(config_);
    copyRealmGeo();
  }

  BanList& bans() { return bans_; }
  /// Bans `source` for `seconds` (reason "manual" from operators). @return false when full.
  bool ban(const boost::asio::ip::address& source, uint32_t seconds, const std::string& reason);
  bool unban(const boost::asio::ip::address& source) {
    return bans_.remove(AddressKey::of(source));
  }

  // MessageSink
  void onMessage(const Peer& from, std::string bytes) override;
  void onConnectionClosed(uint64_t connection) override;
  // TransactionLayer::ResponseObserver
  void onFinalResponse(const Peer& to, const sip::Message& request, int status) override;
  // SourceObserver
  void onBadToken(const boost::asio::ip::address& source, uint32_t realm) override;
  bool admitConnection(const boost::asio::ip::address& source, uint32_t realm,
                       Transport transport) override;
  void connectionEnded(const boost::asio::ip::address& source) override;

 private:
  void onBanAdded(const Ban& ban) override;
  void onBanRemoved(const Ban& ban, const char* why) override;
  void reply(const Peer& from, std::string_view bytes, uint32_t retry_after_s);
  void banFor(const AddressKey& source, const char* reason);
  void copyRealmGeo();
  bool geoRefuses(const boost::asio::ip::address& source, uint32_t realm) const;
  void sweep();
  static int64_t nowUs();
  static int64_t nowUnix();
  static int64_t expiryAfter(uint32_t seconds);

  boost::asio::io_context& io_;
  const platform::Config& config_;
  TransportLayer& transport_;
  MessageSink* next_ = nullptr;
  Limiter limiter_;
  BanList bans_;
  SecurityMetrics metrics_;
  GeoFilter geo_;
  struct RealmGeo {
    std::vector<std::string> deny;
    std::vector<std::string> allow;
  };
  std::vector<RealmGeo> realm_geo_;  // realms[i].security country lists (copied: reloads)
  // Open inbound connections per source (entries leave at 0, so the map is bounded by
  // connections.max_total) and in total.
  std::unordered_map<AddressKey, uint32_t, AddressKeyHash> connections_;
  uint32_t connections_total_ = 0;
  std::unique_ptr<BanStore> store_;  // security.ban_file: bans kept across restarts
  boost::asio::steady_timer sweep_timer_;
  uint32_t sweeps_ = 0;
};

}  // namespace rampart::cp::security
