#pragma once
// The transport layer's contract with the SIP layer above it. Every listener (UDP, TCP, TLS,
// WSS) delivers whole SIP messages (stream framing and WebSocket frames already removed) to one
// MessageSink, on the control plane's event loop. Stream connections live in the
// ConnectionTable under a numeric id, so upper layers hold ids, never pointers, across time: a
// response for a connection that has closed finds nothing and is dropped (and counted).
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include <rampart/platform/config.h>

namespace rampart::cp {

using platform::Transport;

// Where a SIP message came from or goes to, as the transport layer sees it.
struct Peer {
  Transport transport = Transport::Udp;
  boost::asio::ip::address address;
  uint16_t port = 0;
  uint64_t connection = 0;  // stream connection id; 0 for UDP
  uint32_t realm = 0;       // index in Config::realms of the listener involved
};

// What the JWT presented at a WebSocket upgrade allows on that connection. Connections of
// realms that require no token carry an empty subject and allow everything.
struct ConnectionAuth {
  std::string subject;  // the only SIP user this connection may act as ("" = any)
  bool may_register = true;
  bool may_call = true;
  int64_t expires_unix_s = 0;  // token expiry (wall clock); 0 = never. After it: no new dialogs
};

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // One complete SIP message received from `from`.
  virtual void onMessage(const Peer& from, std::string bytes) = 0;
  // A stream connection closed (either side, error or idle timeout); its id is never reused.
  virtual void onConnectionClosed(uint64_t connection) = 0;
};

// Told about sources that misbehave below the SIP layer; the security layer counts them toward
// a ban. Optional: the transport works without one.
class SourceObserver {
 public:
  virtual ~SourceObserver() = default;
  // A WebSocket upgrade from `source` was refused for a missing, bad or expired token.
  virtual void onBadToken(const boost::asio::ip::address& source, uint32_t realm) = 0;
  // A new inbound stream connection: false refuses it (closed at once, before any TLS work).
  virtual bool admitConnection(const boost::asio::ip::address& source, uint32_t realm,
                               Transport transport) = 0;
  // An admitted connection ended (called once for each admitted one).
  virtual void connectionEnded(const boost::asio::ip::address& source) = 0;
};

// A stream connection (TCP, TLS, WS, WSS), inbound or outbound.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual uint64_t id() const = 0;
  virtual const Peer& peer() const = 0;
  // nullptr unless the connection authenticated with a token at its upgrade.
  virtual const ConnectionAuth* auth() const { return nullptr; }
  // Outbound TLS: the name the server's certificate was verified for ("" otherwise).
  virtual const std::string& serverName() const {
    static const std::string kNone;
    return kNone;
  }
  // Queues one whole SIP message; never blocks. A connection whose send queue exceeds its limit
  // closes itself (a peer that does not read must not grow our memory).
  virtual void send(std::string bytes) = 0;
  virtual void close() = 0;
};

// Live stream connections by id. Owned by the event loop's thread; no locking.
class ConnectionTable {
 public:
  uint64_t nextId() { return ++last_id_; }
  void add(std::shared_ptr<Connection> c) { by_id_[c->id()] = std::move(c); }
  void remove(uint64_t id) { by_id_.erase(id); }
  std::shared_ptr<Connection> find(uint64_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
  }
  // An open connection of `transport` to address:port (outbound reuse, RFC 3261 18.1.1). Over
  // TLS only one verified for the same `server_name` (a certificate checked for one name says
  // nothing about another name on the same address).
  std::shared_ptr<Connection> findTo(Transport transport, const boost::asio::ip::address& address,
                                     uint16_t port, const std::string& server_name = {}) const {
    for (const auto& [id, c] : by_id_) {
      const Peer& p = c->peer();
      if (p.transport == transport && p.address == address && p.port == port &&
          (transport != Transport::Tls || c->serverName() == server_name)) {
        return c;
      }
    }
    return nullptr;
  }
  std::size_t size() const { return by_id_.size(); }

 private:
  uint64_t last_id_ = 0;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> by_id_;
};

}  // namespace rampart::cp
