#pragma once
// The SIP message model every layer above the parser works with. sofia-sip parses (see
// parser.cc, the only file that touches sofia types); what it finds is copied into this plain
// C++ model and sofia's msg_t is freed at once, so no upper layer ever holds a sofia object.
// Outgoing messages are built as a Message and serialised with serialize().
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rampart/platform/result.h>

namespace rampart::cp::sip {

struct Uri {
  std::string scheme = "sip";  // sip | sips | tel
  std::string user;
  std::string host;     // IPv6 hosts keep their brackets
  uint16_t port = 0;    // 0: not given
  std::string params;   // ";transport=tcp;lr" as written, leading ';' included
  std::string headers;  // "?..." as written, '?' included

  std::string str() const;
  /// The value of ;name=value (or "" for a flag); nullopt when absent. Case-insensitive name.
  std::optional<std::string> param(std::string_view name) const;
};

/// Parses "sip:user@host:port;params?headers". @return Malformed on bad syntax.
Result<Uri> parseUri(std::string_view text);

struct NameAddr {
  std::string display;  // with its quotes, as written
  Uri uri;
  std::string tag;
  std::string params;       // other header parameters (";expires=60;+sip.instance=..."), as written
  std::string str() const;  // "display <uri>;tag=..;params"
};

struct Via {
  std::string transport;  // UDP, TCP, TLS, WS, WSS (upper case)
  std::string host;
  uint16_t port = 0;  // 0: default for the transport
  std::string branch;
  std::string received;
  bool rport = false;  // ;rport present
  std::string params;  // every parameter as written, leading ';' included
  std::string str() const;
};

struct Header {
  std::string name;   // canonical name ("Via", not "v")
  std::string value;  // as written, without the name and the colon
};

class Message {
 public:
  // Start line.
  bool request = true;
  std::string method;  // request: INVITE, ...
  Uri request_uri;
  int status = 0;  // response: 100..699
  std::string reason;

  // Headers the stack reads; parse() fills them, serialize() writes them in this order.
  std::vector<Via> vias;
  std::optional<uint32_t> max_forwards;
  NameAddr from;
  NameAddr to;
  std::string call_id;
  uint32_t cseq = 0;
  std::string cseq_method;
  std::vector<NameAddr> contacts;
  bool contact_star = false;              // "Contact: *" (REGISTER only)
  std::vector<std::string> record_route;  // one entry per route value, "<sip:...;lr>"
  std::vector<std::string> route;
  std::optional<uint32_t> expires;
  std::vector<std::string> require;
  std::vector<std::string> supported;
  std::string content_type;
  std::string body;

  // Every other header, in order, as written (parse() fills it; serialize() writes it after
  // the modelled ones).
  std::vector<Header> headers;

  /// Parses one whole message (a datagram, a stream message framed by Content-Length, or one
  /// WebSocket message). @return Malformed with a reason naming the problem, for a 400 reason
  /// phrase ("Malformed Via header", "Missing Call-ID header", "CSeq method does not match").
  /// When the error comes after Via, From, To, Call-ID and CSeq parsed, `partial` (if given)
  /// receives them, so the caller can still answer a request with 400.
  static Result<Message> parse(std::string_view bytes, Message* partial = nullptr);

  std::string serialize() const;

  /// First value of a header by name (case-insensitive), from `headers`.
  std::optional<std::string_view> header(std::string_view name) const;
  /// Every value of a header by name (case-insensitive), from `headers`.
  std::vector<std::string_view> headerValues(std::string_view name) const;
  /// Adds to `headers` (written by serialize() after the modelled ones).
  void addHeader(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
  }
  /// Removes every header of that name from `headers`.
  void removeHeader(std::string_view name);

  bool isInvite() const { return cseq_method == "INVITE"; }
  bool hasToTag() const { return !to.tag.empty(); }
};

/// Case-insensitive ASCII comparison.
bool iequals(std::string_view a, std::string_view b);

/// A response to `request` (RFC 3261 8.2.6): Via, From, To, Call-ID and CSeq copied;
/// `to_tag` set on To when the request had none and the status is not 100.
Message makeResponse(const Message& request, int status, std::string_view reason,
                     std::string_view to_tag = {});

/// The standard reason phrase of a status code ("Not Found").
std::string_view reasonPhrase(int status);

/// For a request sofia-sip could not parse at all: a 400 (or 405 when only the method is
/// unusual) built from the raw Via, From, To, Call-ID and CSeq lines, or nullopt when those
/// cannot be found (then the message is dropped and counted).
std::optional<std::string> rawErrorResponse(std::string_view bytes, std::string_view to_tag,
                                            std::string_view reason);

/// A fresh random token of `n` characters from [0-9a-z] (tags, branches, Call-IDs).
std::string randomToken(std::size_t n);

}  // namespace rampart::cp::sip
