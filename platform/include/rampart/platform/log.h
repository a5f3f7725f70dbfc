#pragma once
// Logging: printf-style, one line per record on stderr with a monotonic-free wall timestamp,
// level and component. Hot paths use RAMPART_LOG_RATELIMITED so a flood of bad packets cannot
// turn into a flood of log lines.
#include <atomic>
#include <cstdarg>
#include <cstdint>

namespace rampart::platform {

enum class LogLevel : int { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void setLogLevel(LogLevel level);
LogLevel logLevel();
// Parses "debug|info|warn|error"; returns false for anything else.
bool parseLogLevel(const char* text, LogLevel* out);
void logf(LogLevel level, const char* component, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

// Token bucket of `per_second` records with a burst of the same size; counts what it
// suppressed and reports the count with the next record it lets through.
class LogRateLimiter {
 public:
  explicit LogRateLimiter(uint32_t per_second) : per_second_(per_second) {}
  // True if a record may be written now; `suppressed` receives records dropped since the last.
  bool allow(uint64_t* suppressed);

 private:
  uint32_t per_second_;
  std::atomic<uint64_t> window_start_ns_{0};
  std::atomic<uint32_t> in_window_{0};
  std::atomic<uint64_t> suppressed_{0};
};

}  // namespace rampart::platform

#define RAMPART_LOG(level, component, ...)                                              \
  do {                                                                                  \
    if (static_cast<int>(level) >= static_cast<int>(::rampart::platform::logLevel())) { \
      ::rampart::platform::logf(level, component, __VA_ARGS__);                         \
    }                                                                                   \
  } while (false)

#define RAMPART_LOG_RATELIMITED(level, component, per_second, ...)                             \
  do {                                                                                         \
    if (static_cast<int>(level) >= static_cast<int>(::rampart::platform::logLevel())) {        \
      static ::rampart::platform::LogRateLimiter rampart_log_limiter_(per_second);             \
      uint64_t rampart_log_suppressed_ = 0;                                                    \
      if (rampart_log_limiter_.allow(&rampart_log_suppressed_)) {                              \
        if (rampart_log_suppressed_ != 0) {                                                    \
          ::rampart::platform::logf(level, component, "(%llu similar records suppressed)",     \
                                    static_cast<unsigned long long>(rampart_log_suppressed_)); \
        }                                                                                      \
        ::rampart::platform::logf(level, component, __VA_ARGS__);                              \
      }                                                                                        \
    }                                                                                          \
  } while (false)
