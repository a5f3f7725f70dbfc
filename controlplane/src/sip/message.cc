// Serialisation and helpers of the SIP message model (parsing is in parser.cc).
#include "sip/message.h"

#include <openssl/rand.h>

namespace rampart::cp::sip {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) {
      return false;
    }
  }
  return true;
}

std::string Uri::str() const {
  if (scheme == "*") {
    return "*";
  }
  std::string out = scheme + ":";
  if (!user.empty()) {
    out += user + "@";
  }
  out += host;
  if (port != 0) {
    out += ":" + std::to_string(port);
  }
  return out + params + headers;
}

std::optional<std::string> Uri::param(std::string_view name) const {
  std::string_view rest(params);
  while (!rest.empty()) {
    if (rest.front() == ';') {
      rest.remove_prefix(1);
    }
    std::string_view item = rest.substr(0, rest.find(';'));
    rest.remove_prefix(item.size());
    std::string_view key = item.substr(0, item.find('='));
    if (iequals(key, name)) {
      return key.size() < item.size() ? std::string(item.substr(key.size() + 1)) : std::string();
    }
  }
  return std::nullopt;
}

std::string NameAddr::str() const {
  std::string out;
  if (!display.empty()) {
    out += display + " ";
  }
  out += "<" + uri.str() + ">";
  if (!tag.empty()) {
    out += ";tag=" + tag;
  }
  return out + params;
}

std::string Via::str() const {
  std::string out = "SIP/2.0/" + transport + " " + host;
  if (port != 0) {
    out += ":" + std::to_string(port);
  }
  return out + params;
}

std::optional<std::string_view> Message::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) {
      return std::string_view(h.value);
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> Message::headerValues(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& h : headers) {
    if (iequals(h.name, name)) {
      out.emplace_back(h.value);
    }
  }
  return out;
}

void Message::removeHeader(std::string_view name) {
  std::erase_if(headers, [&](const Header& h) { return iequals(h.name, name); });
}

namespace {
void line(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}
std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : ", ") + i;
  }
  return out;
}
}  // namespace

std::string Message::serialize() const {
  std::string out;
  out.reserve(512 + body.size());
  if (request) {
    out += method + " " + request_uri.str() + " SIP/2.0\r\n";
  } else {
    out += "SIP/2.0 " + std::to_string(status) + " " + reason + "\r\n";
  }
  for (const auto& v : vias) {
    line(out, "Via", v.str());
  }
  if (max_forwards) {
    line(out, "Max-Forwards", std::to_string(*max_forwards));
  }
  line(out, "From", from.str());
  line(out, "To", to.str());
  line(out, "Call-ID", call_id);
  line(out, "CSeq", std::to_string(cseq) + " " + cseq_method);
  if (contact_star) {
    line(out, "Contact", "*");
  }
  for (const auto& c : contacts) {
    line(out, "Contact", c.str());
  }
  if (!record_route.empty()) {
    line(out, "Record-Route", joined(record_route));
  }
  if (!route.empty()) {
    line(out, "Route", joined(route));
  }
  if (expires) {
    line(out, "Expires", std::to_string(*expires));
  }
  if (!require.empty()) {
    line(out, "Require", joined(require));
  }
  if (!supported.empty()) {
    line(out, "Supported", joined(supported));
  }
  for (const auto& h : headers) {
    line(out, h.name, h.value);
  }
  if (!body.empty() && !content_type.empty()) {
    line(out, "Content-Type", content_type);
  }
  line(out, "Content-Length", std::to_string(body.size()));
  out += "\r\n";
  out += body;
  return out;
}

Message makeResponse(const Message& request, int status, std::string_view reason,
                     std::string_view to_tag) {
  Message r;
  r.request = false;
  r.status = status;
  r.reason =
      reason.empty() ? std::string(reasonPhrase(status)) : std::string(reason.substr(0, 128));
  // Reason phrases may carry text derived from a peer's bytes: never a line break.
  for (auto& c : r.reason) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  r.vias = request.vias;
  r.from = request.from;
  r.to = request.to;
  if (r.to.tag.empty() && status != 100) {
    r.to.tag = std::string(to_tag);
  }
  r.call_id = request.call_id;
  r.cseq = request.cseq;
  r.cseq_method = request.cseq_method;
  return r;
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 423: return "Interval Too Brief";
    case 429: return "Too Many Requests";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 491: return "Request Pending";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    default: break;
  }
  if (status < 200) {
    return "Session Progress";
  }
  if (status < 300) {
    return "OK";
  }
  if (status < 400) {
    return "Redirection";
  }
  if (status < 500) {
    return "Client Error";
  }
  return status < 600 ? "Server Error" : "Global Failure";
}

std::string randomToken(std::size_t n) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(n, '0');
  unsigned char buf[64];
  std::size_t done = 0;
  while (done < n) {
    std::size_t chunk = std::min(n - done, sizeof(buf));
    if (RAND_bytes(buf, static_cast<int>(chunk)) != 1) {
      // The CSPRNG failing is not a state we can serve SIP in.
      abort();
    }
    for (std::size_t i = 0; i < chunk; ++i) {
      out[done + i] = kAlphabet[buf[i] % 36];
    }
    done += chunk;
  }
  return out;
}

}  // namespace rampart::cp::sip
