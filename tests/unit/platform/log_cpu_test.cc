// Logging rate limits and CPU pinning.
#include <gtest/gtest.h>

#include <sched.h>

#include <thread>

#include <rampart/platform/cpu.h>
#include <rampart/platform/log.h>
#include <rampart/platform/process_options.h>

namespace rampart::platform {
namespace {

TEST(LogRateLimiter, AllowsBurstThenCountsSuppressed) {
  LogRateLimiter limiter(5);
  uint64_t suppressed = 0;
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) {
    if (limiter.allow(&suppressed)) {
      ++allowed;
    }
  }
  // Within one second at most the per-second budget passes (a window boundary may add one).
  EXPECT_GE(allowed, 5);
  EXPECT_LE(allowed, 10);
}

TEST(LogRateLimiter, ReportsSuppressedCountWithNextRecord) {
  LogRateLimiter limiter(1);
  uint64_t suppressed = 0;
  ASSERT_TRUE(limiter.allow(&suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 7; ++i) {
    EXPECT_FALSE(limiter.allow(&suppressed));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  ASSERT_TRUE(limiter.allow(&suppressed));
  EXPECT_EQ(suppressed, 7u);
}

TEST(LogLevel, ParsesKnownNamesOnly) {
  LogLevel l = LogLevel::Info;
  EXPECT_TRUE(parseLogLevel("debug", &l));
  EXPECT_EQ(l, LogLevel::Debug);
  EXPECT_TRUE(parseLogLevel("error", &l));
  EXPECT_EQ(l, LogLevel::Error);
  EXPECT_FALSE(parseLogLevel("verbose", &l));
  EXPECT_EQ(l, LogLevel::Error);
}

TEST(Cpu, PinsCurrentThreadToAnAllowedCpu) {
  std::vector<int> cpus = allowedCpus();
  ASSERT_FALSE(cpus.empty());
  int target = cpus.back();
  std::thread t([target] {
    auto r = pinCurrentThread(target);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(sched_getcpu(), target);
  });
  t.join();
}

TEST(Cpu, RefusesANonexistentCpuWithAReason) {
  auto r = pinCurrentThread(CPU_SETSIZE - 1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot pin"), std::string::npos);
}

TEST(ProcessOptions, ParsesConfigAndCheck) {
  const char* argv[] = {"prog", "--config", "/x.yaml", "--check-config", "--log-level", "warn"};
  auto o = parseProcessOptions(6, const_cast<char**>(argv));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->config_path, "/x.yaml");
  EXPECT_TRUE(o->check_only);
  EXPECT_EQ(o->log_level, "warn");
}

TEST(ProcessOptions, DefaultsAndPassthroughAfterDoubleDash) {
  const char* argv[] = {"prog", "--bogus", "--", "--config", "-l", "3"};
  auto o = parseProcessOptions(6, const_cast<char**>(argv), true);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->config_path, "/etc/rampart/rampart.yaml");
  ASSERT_EQ(o->extra.size(), 1u);
  EXPECT_EQ(o->extra[0], "--bogus");
  EXPECT_EQ(o->passthrough, (std::vector<std::string>{"--config", "-l", "3"}));
  auto plain = parseProcessOptions(2, const_cast<char**>(argv) + 1);  // "--bogus" "--"
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->passthrough.empty());
  EXPECT_EQ(plain->extra, (std::vector<std::string>{"--"}));
}

TEST(ProcessOptions, MissingValueNamesTheOption) {
  const char* argv[] = {"prog", "--config"};
  auto o = parseProcessOptions(2, const_cast<char**>(argv));
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("--config"), std::string::npos);
}

}  // namespace
}  // namespace rampart::platform
