#pragma once
// RFC 3261 section 18.3 framing on stream transports: a message ends after its headers'
// blank line plus Content-Length body bytes (Content-Length is mandatory on streams). Also
// recognises RFC 5626 keepalives: a double CRLF "ping" between messages (answered with a
// single CRLF "pong"). Pure: no I/O, fuzzed by tests/fuzz/controlplane.
#include <cstddef>
#include <string>
#include <string_view>

namespace rampart::cp {

class StreamFramer {
 public:
  enum class Status { NeedMore, Message, Ping, Error };

  explicit StreamFramer(std::size_t max_message) : max_(max_message) {}

  /// Appends received bytes.
  void feed(std::string_view bytes) { buf_.append(bytes); }

  /// Takes the next complete item. Message: `out` holds one whole SIP message. Ping: a CRLFCRLF
  /// keepalive was consumed. Error: the stream cannot be framed (`error()` says why; close).
  Status next(std::string* out);

  const char* error() const { return error_; }
  std::size_t buffered() const { return buf_.size(); }

 private:
  std::string buf_;
  std::size_t max_;
  const char* error_ = "";
};

}  // namespace rampart::cp
