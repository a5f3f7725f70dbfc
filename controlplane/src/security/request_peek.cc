#include "security/request_peek.h"

#include <algorithm>
#include <cctype>

namespace rampart::cp::security {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
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

// "Name <sip:alice@example.com;x>;tag=1" -> "alice@example.com".
std::string_view uriUserHost(std::string_view value) {
  auto lt = value.find('<');
  if (lt != std::string_view::npos) {
    value.remove_prefix(lt + 1);
  }
  auto colon = value.find(':');
  if (colon == std::string_view::npos) {
    return {};
  }
  value.remove_prefix(colon + 1);
  auto end = value.find_first_of(";?> \t");
  return value.substr(0, end);
}

Method methodOf(std::string_view m) {
  if (m == "INVITE") {
    return Method::Invite;
  }
  if (m == "REGISTER") {
    return Method::Register;
  }
  return m == "ACK" ? Method::Ack : Method::Other;
}

void readHeader(std::string_view line, RequestPeek* p, std::string_view* from,
                std::string_view* to) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    return;
  }
  std::string_view name = trim(line.substr(0, colon));
  std::string_view value = trim(line.substr(colon + 1));
  if (equalsNoCase(name, "user-agent")) {
    p->user_agent = value;
  } else if (equalsNoCase(name, "from") || equalsNoCase(name, "f")) {
    *from = value;
  } else if (equalsNoCase(name, "to") || equalsNoCase(name, "t")) {
    *to = value;
  }
}

}  // namespace

bool containsNoCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) {
    return true;
  }
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (equalsNoCase(haystack.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

// Anything that is not clearly a response counts as a request, so odd line endings or a
// broken start line cannot slip past the limits (the full parse rejects them later).
RequestPeek peekRequest(std::string_view bytes) {
  RequestPeek p;
  if (bytes.starts_with("SIP/2.0 ")) {
    return p;
  }
  p.request = true;
  std::size_t head_end = std::min(bytes.find("\r\n\r\n"), bytes.find("\n\n"));
  std::string_view head = bytes.substr(0, head_end);
  auto eol = head.find('\n');
  std::string_view start = head.substr(0, eol);
  p.method_text = start.substr(0, start.find(' '));
  p.method = methodOf(p.method_text);
  std::string_view from;
  std::string_view to;
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 1);
    eol = head.find('\n');
    readHeader(head.substr(0, eol), &p, &from, &to);
  }
  if (p.method == Method::Invite) {
    p.aor = uriUserHost(from);
  } else if (p.method == Method::Register) {
    p.aor = uriUserHost(to);
  }
  return p;
}

}  // namespace rampart::cp::security
