#pragma once
// A cheap look at a raw SIP message before the full (sofia-sip) parse: the request line's
// method, the User-Agent and the AOR the limits key on. Only the header block is scanned,
// once, without allocating, so a flood message refused on this look costs little CPU.
#include <string_view>

namespace rampart::cp::security {

enum class Method { Invite, Register, Ack, Other };

struct RequestPeek {
  bool request = false;  // anything but a response (garbage included: it meets the limits too)
  Method method = Method::Other;
  std::string_view method_text;
  std::string_view user_agent;  // "" when absent
  // INVITE: the From URI's user@host; REGISTER: the To URI's (the AOR). "" otherwise.
  std::string_view aor;
};

RequestPeek peekRequest(std::string_view bytes);

/// Case-insensitive substring search (User-Agent signatures).
bool containsNoCase(std::string_view haystack, std::string_view needle);

}  // namespace rampart::cp::security
