#include "transport/lean_tls_stream.h"

#include <cerrno>

namespace rampart::cp {

LeanTlsStream::LeanTlsStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& ctx)
    : next_(std::move(socket)), ssl_(SSL_new(ctx.native_handle())) {
  if (!ssl_) {
    boost::asio::detail::throw_error(
        boost::system::error_code(static_cast<int>(ERR_get_error()),
                                  boost::asio::error::get_ssl_category()),
        "SSL_new");
  }
  if (next_.socket().is_open()) {
    socketConnected();
  }
  // With RELEASE_BUFFERS (from the context) OpenSSL frees idle record buffers.
  SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                               SSL_MODE_RELEASE_BUFFERS);
}

void LeanTlsStream::socketConnected() {
  boost::system::error_code ignored;
  next_.socket().non_blocking(true, ignored);  // OpenSSL's read()/write() must never block the loop
  SSL_set_fd(ssl_.get(), static_cast<int>(next_.socket().native_handle()));
}

LeanTlsStream::Next LeanTlsStream::classify(int r, boost::system::error_code& ec) const {
  if (r > 0) {
    return Next::Done;
  }
  int err = SSL_get_error(ssl_.get(), r);
  switch (err) {
    case SSL_ERROR_WANT_READ: return Next::WaitRead;
    case SSL_ERROR_WANT_WRITE: return Next::WaitWrite;
    case SSL_ERROR_ZERO_RETURN:
      ec = boost::asio::error::eof;  // the peer's close_notify
      return Next::Failed;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        // a socket error, or the peer closed without close_notify (errno 0)
        ec = errno != 0 ? boost::system::error_code(errno, boost::system::system_category())
                        : boost::system::error_code(boost::asio::ssl::error::stream_truncated);
        return Next::Failed;
      }
      [[fallthrough]];
    default:
      ec = boost::system::error_code(static_cast<int>(ERR_get_error()),
                                     boost::asio::error::get_ssl_category());
      if (!ec) {
        ec = boost::asio::error::fault;
      }
      return Next::Failed;
  }
}

void teardown(boost::beast::role_type /*role*/, LeanTlsStream& stream,
              boost::system::error_code& ec) {
  ERR_clear_error();
  SSL_shutdown(stream.native_handle());  // close_notify, best effort on a non-blocking socket
  ec = {};
}

}  // namespace rampart::cp
