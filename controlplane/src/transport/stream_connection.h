#pragma once
// One SIP stream connection (RFC 3261 section 18 over TCP, or over TLS), inbound or outbound:
// TLS handshake when it is one, Content-Length framing (StreamFramer), RFC 5626 CRLF keepalive
// answers, a bounded send queue written one message at a time, and an idle timeout. Closing
// removes it from the ConnectionTable and tells the sink (TransportLayer::connectionClosed).
#include <array>
#include <deque>
#include <memory>
#include <string>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <rampart/platform/log.h>

#include "transport/lean_tls_stream.h"
#include "transport/stream_framer.h"
#include "transport/tls_context.h"
#include "transport/transport_layer.h"

namespace rampart::cp {

// LeanTlsStream, not asio::ssl::stream: an idle connection keeps no TLS record buffers.
using TlsStream = LeanTlsStream;

template <typename Stream>
class StreamConnection : public Connection,
                         public std::enable_shared_from_this<StreamConnection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  StreamConnection(TransportLayer& layer, Stream stream, Peer peer, uint8_t dscp)
      : layer_(layer),
        stream_(std::move(stream)),
        peer_(std::move(peer)),
        framer_(layer.limits().max_message_bytes),
        idle_(layer.io()),
        dscp_(dscp) {}

  uint64_t id() const override { return peer_.connection; }
  const std::string& serverName() const override { return server_name_; }
  const Peer& peer() const override { return peer_; }

  // Inbound: the socket is connected; TLS handshakes first (bounded by the first-message
  // timer). `admitted`: the layer's admitConnection() counted it (connectionEnded() at close).
  void startAccepted(bool admitted) {
    setSignallingDscp(socket().native_handle(), peer_.address.is_v6(), dscp_);
    open_ = true;
    admitted_ = admitted;
    inbound_ = true;
    layer_.connectionOpened(peer_.realm, peer_.transport);
    armIdle();
    if constexpr (kTls) {
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](boost::system::error_code ec) {
                                if (ec) {
                                  self->fail("TLS handshake failed");
                                  return;
                                }
                                self->connected_ = true;
                                self->read();
                                self->flush();
                              });
    } else {
      connected_ = true;
      read();
    }
  }

  // Outbound: connect (and handshake), then flush what was queued meanwhile.
  /// `server_name`: the SIP domain for TLS SNI and the certificate check (empty: the address).
  void startConnect(const ClientTlsOptions* tls, const std::string& server_name = {}) {
    open_ = true;
    layer_.connectionOpened(peer_.realm, peer_.transport);
    armIdle();
    if constexpr (kTls) {
      if (tls) {
        server_name_ = server_name;
        const std::string name = server_name.empty() ? peer_.address.to_string() : server_name;
        if (auto named = setClientPeerName(stream_.native_handle(), name); !named) {
          RAMPART_LOG(platform::LogLevel::Warn, "transport", "TLS to %s: %s", name.c_str(),
                      named.error().message.c_str());
          // Later, like a failed connect: the caller is still inside send().
          boost::asio::post(socket().get_executor(),
                            [self = this->shared_from_this()] { self->fail("bad server name"); });
          return;
        }
      }
    }
    boost::asio::ip::tcp::endpoint ep(peer_.address, peer_.port);
    socket().async_connect(ep, [self = this->shared_from_this()](boost::system::error_code ec) {
      if (ec) {
        self->fail("connect failed");
        return;
      }
      setSignallingDscp(self->socket().native_handle(), self->peer_.address.is_v6(), self->dscp_);
      if constexpr (kTls) {
        self->stream_.socketConnected();
        self->stream_.async_handshake(boost::asio::ssl::stream_base::client,
                                      [self](boost::system::error_code hec) {
                                        if (hec) {
                                          self->fail("TLS handshake failed");
                                          return;
                                        }
                                        self->connected_ = true;
                                        self->read();
                                        self->flush();
                                      });
      } else {
        self->connected_ = true;
        self->read();
        self->flush();
      }
    });
  }

  void send(std::string bytes) override {
    if (!open_) {
      layer_.countDrop("connection_closed");
      return;
    }
    queued_bytes_ += bytes.size();
    if (queued_bytes_ > layer_.limits().max_send_queue_bytes) {
      fail("send queue over its limit");
      return;
    }
    queue_.push_back(std::move(bytes));
    if (connected_ && !writing_) {
      flush();
    }
  }

  void close() override { fail(nullptr); }

 private:
  boost::asio::ip::tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer().socket();
    } else {
      return stream_;
    }
  }

  void read() {
    stream_.async_read_some(
        boost::asio::buffer(buf_),
        [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (ec) {
            self->fail(nullptr);
            return;
          }
          self->activity_ = true;
          self->framer_.feed(std::string_view(self->buf_.data(), n));
          if (self->drain()) {
            self->read();
          }
        });
  }

  // Delivers every complete message. @return false when the connection was closed.
  bool drain() {
    std::string msg;
    for (int i = 0; i < 1024 && open_; ++i) {
      switch (framer_.next(&msg)) {
        case StreamFramer::Status::NeedMore: return true;
        case StreamFramer::Status::Ping: send("\r\n"); break;
        case StreamFramer::Status::Message:
          got_message_ = true;
          layer_.sink().onMessage(peer_, std::move(msg));
          break;
        case StreamFramer::Status::Error:
          layer_.countOversize();
          fail(framer_.error());
          return false;
      }
    }
    return open_;
  }

  void flush() {
    if (queue_.empty() || !open_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    boost::asio::async_write(
        stream_, boost::asio::buffer(queue_.front()),
        [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (ec) {
            self->fail("write failed");
            return;
          }
          self->activity_ = true;
          self->queued_bytes_ -= n;
          self->queue_.pop_front();
          self->flush();
        });
  }

  // An inbound connection must deliver a SIP message within first_message_timeout_s (scanners
  // and handshake storms hold no socket for long); after that, the idle timeout applies.
  void armIdle() {
    bool first = inbound_ && !got_message_;
    idle_.expires_after(std::chrono::seconds(first ? layer_.limits().first_message_timeout_s
                                                   : layer_.limits().idle_timeout_s));
    idle_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (ec || !self->open_) {
        return;
      }
      if (!self->activity_ || !self->connected_ || (self->inbound_ && !self->got_message_)) {
        self->fail(self->got_message_ ? "idle" : "no SIP message in time");
        return;
      }
      self->activity_ = false;
      self->armIdle();
    });
  }

  void fail(const char* why) {
    if (!open_) {
      return;
    }
    open_ = false;
    if (why) {
      RAMPART_LOG(platform::LogLevel::Debug, "transport", "%s %s:%u closed: %s",
                  platform::transportName(peer_.transport), peer_.address.to_string().c_str(),
                  peer_.port, why);
    }
    boost::system::error_code ec;
    socket().close(ec);
    idle_.cancel();
    queue_.clear();
    layer_.connectionClosed(peer_.connection, peer_.realm, peer_.transport);
    if (admitted_) {
      layer_.connectionEnded(peer_.address);
    }
  }

  TransportLayer& layer_;
  Stream stream_;
  Peer peer_;
  StreamFramer framer_;
  boost::asio::steady_timer idle_;
  uint8_t dscp_;
  // Small: it is held by every idle connection; a larger message takes a few reads (the framer
  // joins them).
  std::array<char, 4096> buf_{};
  std::deque<std::string> queue_;
  std::string server_name_;  // outbound TLS by name: the name its certificate was checked for
  std::size_t queued_bytes_ = 0;
  bool open_ = false;
  bool connected_ = false;
  bool writing_ = false;
  bool activity_ = false;
  bool admitted_ = false;
  bool inbound_ = false;
  bool got_message_ = false;
};

}  // namespace rampart::cp
