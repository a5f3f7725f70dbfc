#include <rampart/platform/signals.h>

#include <csignal>
#include <ctime>

#include <atomic>

namespace rampart::platform {
namespace {
std::atomic<bool> g_stop{false};
void onStopSignal(int) { g_stop.store(true, std::memory_order_relaxed); }
}  // namespace

void installStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool stopRequested() { return g_stop.load(std::memory_order_relaxed); }
void requestStop() { g_stop.store(true, std::memory_order_relaxed); }

bool waitForStop(uint32_t ms) {
  // Sleep in short steps so a signal is noticed within 10 ms.
  for (uint32_t waited = 0; waited < ms && !stopRequested(); waited += 10) {
    timespec ts{0, 10L * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  return stopRequested();
}

}  // namespace rampart::platform
