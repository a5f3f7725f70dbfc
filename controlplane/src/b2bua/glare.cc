#include "b2bua/glare.h"

#include <random>

#include <rampart/platform/log.h>

#include "b2bua/call_manager.h"

namespace rampart::cp {

std::chrono::milliseconds glareDelay(bool own_call_id, const UniformDraw& draw) {
  auto steps = [&draw](uint32_t n) {  // uniform in [0, n] 10 ms steps
    if (draw) {
      return draw(n);
    }
    thread_local std::mt19937 rng{std::random_device{}()};
    return std::uniform_int_distribution<uint32_t>(0, n)(rng);
  };
  if (own_call_id) {
    return std::chrono::milliseconds(2100 + 10 * steps(190));
  }
  return std::chrono::milliseconds(10 * steps(200));
}

// A session refresh (session_timer.cc) answered 491: the other end is in the middle of an offer
// of its own. Retry after the 14.1 delay instead of waiting a whole refresh interval.
void CallManager::onRefreshGlare(Call& call, Leg leg) {
  if (call.glare_retries >= kMaxGlareRetries) {
    return;  // the next regular refresh tries again
  }
  ++call.glare_retries;
  // Rampart made the B leg's Call-ID; the A leg's is the caller's.
  auto delay = glareDelay(leg == Leg::B);
  RAMPART_LOG(platform::LogLevel::Info, "b2bua", "call %llu: refresh got 491, retrying in %lld ms",
              static_cast<unsigned long long>(call.id), static_cast<long long>(delay.count()));
  uint64_t id = call.id;
  call.glare.expires_after(delay);
  call.glare.async_wait([this, id, leg](boost::system::error_code ec) {
    Call* c = find(id);
    if (!ec && c && c->state == CallState::Confirmed) {
      sendRefresh(*c, leg);
    }
  });
}

}  // namespace rampart::cp
