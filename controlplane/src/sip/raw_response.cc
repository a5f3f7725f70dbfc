// Answers for requests sofia-sip refuses to parse at all. RFC 3261 8.2 still wants a 400 (or a
// 405 for a method we do not know) whenever the headers a response copies can be found, so a
// broken request from a real peer is not met with silence and retransmissions.
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.h"

namespace rampart::cp::sip {
namespace {

bool tokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
    v.remove_suffix(1);
  }
  return v;
}

// The canonical name of a header a response copies, or "" for the others.
std::string_view copiedHeader(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"via", "Via"}, {"v", "Via"},           {"from", "From"}, {"f", "From"},   {"to", "To"},
      {"t", "To"},    {"call-id", "Call-ID"}, {"i", "Call-ID"}, {"cseq", "CSeq"}};
  for (auto [k, v] : kNames) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return {};
}

}  // namespace

std::optional<std::string> rawErrorResponse(std::string_view bytes, std::string_view to_tag,
                                            std::string_view reason) {
  auto end = bytes.find("\r\n\r\n");
  std::string_view head = bytes.substr(0, end == std::string_view::npos ? bytes.size() : end);
  auto eol = head.find("\r\n");
  if (eol == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view start = head.substr(0, eol);
  auto sp1 = start.find(' ');
  auto sp2 = start.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2 || start.substr(sp2 + 1) != "SIP/2.0") {
    return std::nullopt;  // not a request line: a response or garbage, dropped
  }
  std::string_view method = start.substr(0, sp1);
  bool token = !method.empty();
  for (char c : method) {
    token = token && tokenChar(c);
  }
  if (method == "ACK") {
    return std::nullopt;
  }
  // Unfold continuation lines, then keep the copied headers in order.
  std::vector<std::string> lines;
  std::string_view rest = head.substr(eol + 2);
  while (!rest.empty()) {
    auto e = rest.find("\r\n");
    std::string_view l = rest.substr(0, e);
    rest.remove_prefix(e == std::string_view::npos ? rest.size() : e + 2);
    if ((l.front() == ' ' || l.front() == '\t') && !lines.empty()) {
      lines.back() += " " + std::string(trim(l));
    } else {
      lines.emplace_back(l);
    }
  }
  std::string out;
  bool have[4] = {false, false, false, false};  // From, To, Call-ID, CSeq
  bool via = false;
  for (const auto& l : lines) {
    auto colon = l.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string_view name = copiedHeader(trim(std::string_view(l).substr(0, colon)));
    if (name.empty()) {
      continue;
    }
    std::string value(trim(std::string_view(l).substr(colon + 1)));
    if (name == "To" && value.find(";tag=") == std::string::npos) {
      value += ";tag=" + std::string(to_tag);
    }
    via |= name == "Via";
    have[0] |= name == "From";
    have[1] |= name == "To";
    have[2] |= name == "Call-ID";
    have[3] |= name == "CSeq";
    out += std::string(name) + ": " + value + "\r\n";
  }
  if (!via || !have[0] || !have[1] || !have[2] || !have[3]) {
    return std::nullopt;
  }
  // A well-formed method we do not know: 405 (RFC 3261 8.2.1); anything else: 400.
  static constexpr std::string_view kKnown[] = {
      "INVITE", "CANCEL",  "BYE",    "OPTIONS",   "REGISTER", "INFO",   "UPDATE",
      "PRACK",  "MESSAGE", "NOTIFY", "SUBSCRIBE", "REFER",    "PUBLISH"};
  for (auto k : kKnown) {
    token = token && method != k;
  }
  std::string why(reason.substr(0, 128));
  for (auto& c : why) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  reason = why;
  std::string status = token ? "405 Method Not Allowed"
                             : "400 " + std::string(reason.empty() ? "Malformed Request" : reason);
  std::string extra =
      token ? "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER\r\n" : "";
  return "SIP/2.0 " + status + "\r\n" + out + extra + "Content-Length: 0\r\n\r\n";
}

}  // namespace rampart::cp::sip
