// TLS over a TCP socket with OpenSSL reading and writing the socket itself: the stream under
// the WSS listener's WebSocket layer and of SIP over TLS (stream_connection.h).
//
// Why not asio::ssl::stream: it keeps two 17 kB record buffers per stream and a BIO pair with
// two more (68 kB per connection, idle or not). Here OpenSSL does the socket I/O (SSL_set_fd)
// and, with SSL_MODE_RELEASE_BUFFERS (set on the context), frees its record buffers whenever
// nothing is pending, so an idle connection holds the SSL object and little else.
//
// Each operation calls SSL_read/SSL_write/SSL_do_handshake/SSL_shutdown and, when OpenSSL
// wants the socket readable or writable, waits for that with the socket's async_wait and
// tries again. Operations never complete inside the initiating call (the first try is
// posted). One read and one write may be outstanding at once, as Beast's WebSocket needs;
// the io_context is single-threaded so OpenSSL is never entered concurrently.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <climits>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace rampart::cp {

class LeanTlsStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using next_layer_type = boost::beast::tcp_stream;

  LeanTlsStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& ctx);
  LeanTlsStream(LeanTlsStream&&) = default;
  LeanTlsStream& operator=(LeanTlsStream&&) = delete;
  LeanTlsStream(const LeanTlsStream&) = delete;
  LeanTlsStream& operator=(const LeanTlsStream&) = delete;
  ~LeanTlsStream() = default;

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  SSL* native_handle() noexcept { return ssl_.get(); }
  /// For a socket opened and connected after construction (outbound): hands it to OpenSSL.
  void socketConnected();

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    boost::asio::mutable_buffer b = firstBuffer<boost::asio::mutable_buffer>(buffers);
    return run<true>(
        [this, b]() {
          return SSL_read(ssl_.get(), b.data(),
                          static_cast<int>(std::min<std::size_t>(b.size(), INT_MAX)));
        },
        b.size() == 0, std::forward<Token>(token));
  }

  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    boost::asio::const_buffer b = firstBuffer<boost::asio::const_buffer>(buffers);
    return run<true>(
        [this, b]() {
          return SSL_write(ssl_.get(), b.data(),
                           static_cast<int>(std::min<std::size_t>(b.size(), INT_MAX)));
        },
        b.size() == 0, std::forward<Token>(token));
  }

  template <class Token>
  auto async_handshake(boost::asio::ssl::stream_base::handshake_type type, Token&& token) {
    if (type == boost::asio::ssl::stream_base::server) {
      SSL_set_accept_state(ssl_.get());
    } else {
      SSL_set_connect_state(ssl_.get());
    }
    return run<false>([this]() { return SSL_do_handshake(ssl_.get()); }, false,
                      std::forward<Token>(token));
  }

  // Sends close_notify; does not wait for the peer's (the socket is closed next anyway).
  template <class Token>
  auto async_shutdown(Token&& token) {
    auto fn = [this]() { return SSL_shutdown(ssl_.get()) >= 0 ? 1 : -1; };
    return run<false>(fn, false, std::forward<Token>(token));
  }

 private:
  struct SslFree {
    void operator()(SSL* s) const noexcept { SSL_free(s); }
  };

  template <class Out, class Buffers>
  static Out firstBuffer(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      Out b(*it);
      if (b.size() != 0) {
        return b;
      }
    }
    return Out();
  }

  // What OpenSSL's result means: done (n > 0), wait for the socket, or an error.
  enum class Next { Done, WaitRead, WaitWrite, Failed };
  Next classify(int r, boost::system::error_code& ec) const;

  // One operation: FN is retried until it returns > 0 or fails. SIZED: completes with
  // (error_code, bytes) like read_some/write_some, else with (error_code) like handshake.
  template <class Fn, bool Sized>
  struct Op {
    LeanTlsStream* s;
    Fn fn;
    bool started;
    bool empty = false;

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
      if (!started) {
        started = true;  // never complete inside the initiating call
        boost::asio::post(s->next_.get_executor(), std::move(self));
        return;
      }
      if (ec || empty) {
        done(self, ec, 0);
        return;
      }
      ERR_clear_error();
      int r = fn();
      switch (s->classify(r, ec)) {
        case Next::Done: done(self, ec, static_cast<std::size_t>(r)); return;
        case Next::WaitRead:
          s->next_.socket().async_wait(boost::asio::socket_base::wait_read, std::move(self));
          return;
        case Next::WaitWrite:
          s->next_.socket().async_wait(boost::asio::socket_base::wait_write, std::move(self));
          return;
        case Next::Failed: done(self, ec, 0); return;
      }
    }

    template <class Self>
    static void done(Self& self, boost::system::error_code ec, std::size_t n) {
      if constexpr (Sized) {
        self.complete(ec, n);
      } else {
        self.complete(ec);
      }
    }
  };

  template <bool Sized, class Fn, class Token>
  auto run(Fn fn, bool empty, Token&& token) {
    using Signature = std::conditional_t<Sized, void(boost::system::error_code, std::size_t),
                                         void(boost::system::error_code)>;
    return boost::asio::async_compose<Token, Signature>(
        Op<Fn, Sized>{this, std::move(fn), false, empty}, token, next_.get_executor());
  }

  boost::beast::tcp_stream next_;
  std::unique_ptr<SSL, SslFree> ssl_;
};

// Beast's WebSocket closes its stream through these (found by argument-dependent lookup).
void teardown(boost::beast::role_type role, LeanTlsStream& stream, boost::system::error_code& ec);

template <class Handler>
void async_teardown(boost::beast::role_type /*role*/, LeanTlsStream& stream, Handler&& handler) {
  stream.async_shutdown(std::forward<Handler>(handler));
}

}  // namespace rampart::cp
