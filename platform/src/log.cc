#include <rampart/platform/log.h>

#include <sys/time.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include <rampart/platform/shm_region.h>

namespace rampart::platform {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};
const char* levelName(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "?";
}
}  // namespace

void setLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel logLevel() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

bool parseLogLevel(const char* text, LogLevel* out) {
  for (LogLevel l : {LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error}) {
    if (std::strcmp(text, levelName(l)) == 0) {
      *out = l;
      return true;
    }
  }
  return false;
}

void logf(LogLevel level, const char* component, const char* fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm t{};
  gmtime_r(&tv.tv_sec, &t);
  char ts[32];
  std::strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &t);
  // One fprintf per record keeps lines whole when threads log concurrently.
  std::fprintf(stderr, "%s.%03ldZ %-5s %s: %s\n", ts, static_cast<long>(tv.tv_usec / 1000),
               levelName(level), component, msg);
}

bool LogRateLimiter::allow(uint64_t* suppressed) {
  uint64_t now = monotonicNs();
  uint64_t start = window_start_ns_.load(std::memory_order_relaxed);
  if (now - start >= 1000000000ull) {
    if (window_start_ns_.compare_exchange_strong(start, now, std::memory_order_relaxed)) {
      in_window_.store(0, std::memory_order_relaxed);
    }
  }
  if (in_window_.fetch_add(1, std::memory_order_relaxed) < per_second_) {
    *suppressed = suppressed_.exchange(0, std::memory_order_relaxed);
    return true;
  }
  suppressed_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

}  // namespace rampart::platform
