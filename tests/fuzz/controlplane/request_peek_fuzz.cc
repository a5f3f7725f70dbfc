// Fuzzes the security layer's look at raw messages before the full parse: the request peek
// (start line, header scan, From/To URI extraction) and the Limiter fed with what it found, so
// any byte sequence a flooder sends goes through the same path as in SignallingGuard.
// Invariants checked: views stay inside the input, and no verdict is Reply for an ACK.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "security/limiter.h"
#include "security/request_peek.h"

namespace {

using namespace rampart::cp::security;

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

Limiter& limiter() {
  static rampart::platform::Config config = [] {
    rampart::platform::Config c;
    c.realms.resize(1);
    c.security.invite_per_source = {1, 2};
    c.security.replies_per_source = 1;
    c.security.max_tracked_sources = 1000;
    return c;
  }();
  static Limiter l(config);
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  RequestPeek p = peekRequest(bytes);
  if (!inside(p.method_text, bytes) || !inside(p.user_agent, bytes) || !inside(p.aor, bytes)) {
    std::abort();
  }
  AddressKey source = AddressKey::of(boost::asio::ip::make_address_v4(size & 0xff));
  static int64_t now = 0;
  now += 1000;
  Verdict v = limiter().check(source, 0, p, now);
  if (v.action == Action::Reply && p.method == Method::Ack) {
    std::abort();
  }
  return 0;
}
