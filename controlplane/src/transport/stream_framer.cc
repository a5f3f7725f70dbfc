#include "transport/stream_framer.h"

#include <cctype>

namespace rampart::cp {
namespace {

bool headerNameIs(std::string_view line, std::string_view name) {
  if (line.size() <= name.size()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) {
      return false;
    }
  }
  std::size_t i = name.size();
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
    ++i;
  }
  return i < line.size() && line[i] == ':';
}

// Content-Length ("l" compact form) of the header block; -1 when absent, -2 when malformed.
long contentLength(std::string_view headers) {
  long found = -1;
  while (!headers.empty()) {
    auto eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
    if (!headerNameIs(line, "content-length") && !headerNameIs(line, "l")) {
      continue;
    }
    std::string_view v = line.substr(line.find(':') + 1);
    long n = 0;
    bool digits = false;
    for (char c : v) {
      if (c == ' ' || c == '\t') {
        continue;
      }
      if (c < '0' || c > '9' || n > 100000000) {
        return -2;
      }
      n = n * 10 + (c - '0');
      digits = true;
    }
    if (!digits || (found >= 0 && found != n)) {
      return -2;
    }
    found = n;
  }
  return found;
}

}  // namespace

StreamFramer::Status StreamFramer::next(std::string* out) {
  // Keepalives (a double CRLF) and stray CRLFs between messages (RFC 5626 section 3.5.1).
  while (buf_.size() >= 2 && buf_[0] == '\r' && buf_[1] == '\n') {
    if (buf_.compare(0, 4, "\r\n\r\n") == 0) {
      buf_.erase(0, 4);
      return Status::Ping;
    }
    if (buf_.size() < 4 && buf_.find_first_not_of("\r\n") == std::string::npos) {
      return Status::NeedMore;  // maybe the start of a ping
    }
    buf_.erase(0, 2);
  }
  auto end = buf_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (buf_.size() > max_) {
      error_ = "header block larger than the message limit";
      return Status::Error;
    }
    return Status::NeedMore;
  }
  long length = contentLength(std::string_view(buf_).substr(0, end + 2));
  if (length == -1) {
    error_ = "message without Content-Length on a stream";
    return Status::Error;
  }
  if (length < 0) {
    error_ = "malformed Content-Length";
    return Status::Error;
  }
  std::size_t total = end + 4 + static_cast<std::size_t>(length);
  if (total > max_) {
    error_ = "message larger than the limit";
    return Status::Error;
  }
  if (buf_.size() < total) {
    return Status::NeedMore;
  }
  out->assign(buf_, 0, total);
  buf_.erase(0, total);
  return Status::Message;
}

}  // namespace rampart::cp
