#pragma once
// RFC 3261 section 17 transactions (client and server, INVITE and non-INVITE) over sofia-sip
// parsed messages, on the control plane's event loop. Our own compact layer rather than
// sofia-sip's NTA: NTA owns its transports and su_root loop and cannot carry the WSS
// connections that Boost.Beast terminates (docs/ARCHITECTURE.md, "Transactions").
//
// Server side: a request is parsed (malformed: 400 with the reason, or a counted drop when not
// even Via/CSeq parsed), matched against live server transactions (retransmissions are
// absorbed and the last response re-sent), and otherwise handed to the User as a new
// transaction id. The User answers with respond(). An INVITE's 2xx is retransmitted until its
// ACK arrives (RFC 6026 "Accepted"). CANCEL is answered here and reported to the User.
// Client side: sendRequest() adds the top Via, retransmits on UDP (timers A/E), times out
// (B/F), absorbs response retransmissions, ACKs non-2xx finals itself and reports responses.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sip/message.h"
#include "transport/transport_layer.h"

namespace rampart::cp {

struct TxnTimers {
  std::chrono::milliseconds t1{500};
  std::chrono::milliseconds t2{4000};
  std::chrono::milliseconds t4{5000};
};

class TransactionLayer : public MessageSink {
 public:
  class User {
   public:
    virtual ~User() = default;
    /// A new request (never a retransmission). Answer with respond(txn, ...), at most one
    /// final response. ACKs are not requests of a transaction: see onAck.
    virtual void onRequest(uint64_t txn, const sip::Message& request, const Peer& from) = 0;
    /// An ACK that belongs to no server transaction (the ACK of a 2xx).
    virtual void onAck(const sip::Message& ack, const Peer& from) = 0;
    /// A CANCEL matched INVITE transaction `invite_txn`, which has no final response yet. The
    /// CANCEL is already answered 200; the User should answer the INVITE 487.
    virtual void onCancel(uint64_t invite_txn) = 0;
    virtual void onConnectionClosed(uint64_t connection) = 0;
  };

  /// Client transaction events: every response (provisional and final; for an INVITE also
  /// 2xx retransmissions, flagged), or one error (Timeout: no final response in 64*T1;
  /// Unavailable: the transport could not send).
  struct ClientEvent {
    const sip::Message* response = nullptr;
    bool retransmission = false;
    const Error* error = nullptr;
  };
  using ClientHandler = std::function<void(const ClientEvent&)>;

  /// Sees the final response of every server transaction, with its request (the security
  /// layer counts rejected credentials toward a source's ban).
  class ResponseObserver {
   public:
    virtual ~ResponseObserver() = default;
    virtual void onFinalResponse(const Peer& to, const sip::Message& request, int status) = 0;
  };

  TransactionLayer(boost::asio::io_context& io, TransportLayer& transport,
                   prometheus::Registry& registry, TxnTimers timers = {});
  ~TransactionLayer() override;
  void setUser(User* user) { user_ = user; }
  void setResponseObserver(ResponseObserver* o) { observer_ = o; }

  /// Sends `request` to `dst` in a new client transaction. The top Via (our listener on the
  /// destination's realm and transport, a fresh branch, rport) is added here. @return the
  /// transaction id (used by cancel()).
  uint64_t sendRequest(sip::Message request, const Destination& dst, ClientHandler handler);

  /// CANCELs client INVITE transaction `invite_txn` (RFC 3261 9.1): sent once a provisional
  /// response has arrived, or as soon as one does. No-op when it already has a final.
  void cancel(uint64_t invite_txn);

  /// Answers server transaction `txn`. Ignored (counted) when the transaction is gone.
  void respond(uint64_t txn, sip::Message response);

  /// Sends an ACK for a 2xx (a transaction of its own, RFC 3261 17.1.1.3): fresh branch.
  void sendAck(sip::Message ack, const Destination& dst);

  /// The request a server transaction was created for, until its final response (then, and
  /// when the transaction is gone, nullptr).
  const sip::Message* request(uint64_t txn) const;
  /// The peer a server transaction's request came from.
  const Peer* peerOf(uint64_t txn) const;

  std::size_t active() const { return server_.size() + client_.size(); }
  const TxnTimers& timers() const { return timers_; }
  TransportLayer& transport() { return transport_; }

  // MessageSink
  void onMessage(const Peer& from, std::string bytes) override;
  void onConnectionClosed(uint64_t connection) override;

  /// Where responses to a request from `from` go (RFC 3261 18.2.2 with RFC 3581 rport: the
  /// source address and port, or the connection it came on).
  static Destination responseDestination(const Peer& from);

 private:
  struct ServerTxn;
  struct ClientTxn;

  void onRequestMessage(const Peer& from, sip::Message msg);
  void onResponseMessage(const Peer& from, sip::Message msg);
  void rejectMalformed(const Peer& from, const sip::Message& partial, const Error& err,
                       std::string_view bytes);
  void sendServerResponse(uint64_t id);
  void armServerTimers(uint64_t id, ServerTxn& t);
  void eraseServer(uint64_t id);
  void startClient(uint64_t id);
  void retransmitClient(uint64_t id, std::chrono::milliseconds interval);
  void armClientTimeout(uint64_t id);
  void finishClient(uint64_t id, std::chrono::milliseconds linger);
  void sendCancel(ClientTxn& invite);
  void addViaFor(sip::Message& request, const Destination& dst);
  bool sendTo(const Destination& dst, const sip::Message& msg);

  boost::asio::io_context& io_;
  TransportLayer& transport_;
  TxnTimers timers_;
  User* user_ = nullptr;
  ResponseObserver* observer_ = nullptr;
  uint64_t next_id_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<ServerTxn>> server_;
  std::unordered_map<std::string, uint64_t> server_by_key_;
  std::unordered_map<uint64_t, std::unique_ptr<ClientTxn>> client_;
  std::unordered_map<std::string, uint64_t> client_by_branch_;
  std::unordered_map<std::string, uint64_t> accepted_by_dialog_;  // call-id + cseq -> server txn

  // Counter handles made once: a label lookup per message showed in profiles.
  prometheus::Counter* requestCounter(std::string_view method);
  prometheus::Counter* responseCounter(bool out, int status);
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* responses_;
  std::unordered_map<std::string, prometheus::Counter*> request_counters_;
  prometheus::Counter* response_counters_[2][7] = {};
  prometheus::Counter* retransmissions_;
  prometheus::Counter* absorbed_;
  prometheus::Family<prometheus::Counter>* malformed_;
  prometheus::Counter* stray_;
  prometheus::Gauge* active_gauge_;
};

}  // namespace rampart::cp
