// Shared-memory region: create/attach, exclusivity, epochs, ABI refusal, dump exclusion, and
// two processes moving 10 million messages through a command ring.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <rampart/platform/abi.h>
#include <rampart/platform/shm_region.h>

namespace rampart::platform {
namespace {

std::string uniqueName(const char* tag) {
  return "/rampart-test-" + std::string(tag) + "-" + std::to_string(getpid());
}

TEST(ShmRegion, CreateThenAttachSeesSameGeometryAndEpoch) {
  std::string name = uniqueName("attach");
  RegionGeometry g;
  g.n_workers = 2;
  auto dp = ShmRegion::create(name, g);
  ASSERT_TRUE(dp) << dp.error().message;
  auto cp = ShmRegion::attach(name, true);
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->epoch(), dp->epoch());
  EXPECT_EQ(cp->workers(), 2u);
  EXPECT_EQ(ShmRegion::currentEpoch(name), dp->epoch());
  for (uint32_t w = 0; w < 2; ++w) {
    EXPECT_EQ(cp->ring(w, RingKind::Command)->slot_count, g.cmd_slots);
    EXPECT_EQ(cp->ring(w, RingKind::Command)->slot_size, abi::kCmdSlotSize);
    EXPECT_EQ(cp->ring(w, RingKind::Punt)->slot_size, abi::kPacketSlotSize);
    EXPECT_EQ(cp->ring(w, RingKind::Inject)->slot_count, g.inject_slots);
  }
  EXPECT_EQ(cp->ring(2, RingKind::Command), nullptr);
}

TEST(ShmRegion, AttachRefusesARingWithoutItsMagic) {
  std::string name = uniqueName("ringmagic");
  auto dp = ShmRegion::create(name, RegionGeometry{});
  ASSERT_TRUE(dp) << dp.error().message;
  dp->ring(0, RingKind::Event)->magic = 0;
  auto cp = ShmRegion::attach(name, false);
  ASSERT_FALSE(cp);
  EXPECT_EQ(cp.error().code, ErrorCode::Malformed);
  EXPECT_NE(cp.error().message.find("event ring"), std::string::npos) << cp.error().message;
}

TEST(ShmRegion, AttachRefusesARingWhoseGeometryDisagreesWithTheHeader) {
  std::string name = uniqueName("ringgeom");
  auto dp = ShmRegion::create(name, RegionGeometry{});
  ASSERT_TRUE(dp) << dp.error().message;
  dp->header().workers[0].rings[static_cast<uint32_t>(RingKind::Punt)].slot_count *= 2;
  auto cp = ShmRegion::attach(name, false);
  ASSERT_FALSE(cp);
  EXPECT_NE(cp.error().message.find("punt ring"), std::string::npos) << cp.error().message;
}

TEST(ShmRegion, SecondExclusiveAttachIsRefused) {
  std::string name = uniqueName("excl");
  auto dp = ShmRegion::create(name, RegionGeometry{});
  ASSERT_TRUE(dp);
  auto first = ShmRegion::attach(name, true);
  ASSERT_TRUE(first);
  // flock is per open file description, so a second attach in this process is refused too.
  auto second = ShmRegion::attach(name, true);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("already attached"), std::string::npos);
}

TEST(ShmRegion, MissingRegionNamesTheDataplane) {
  auto r = ShmRegion::attach(uniqueName("missing"), false);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("rampart-dataplane running"), std::string::npos);
}

TEST(ShmRegion, RestartGivesNewEpochAndUnlinksOnExit) {
  std::string name = uniqueName("epoch");
  uint64_t first_epoch = 0;
  {
    auto dp = ShmRegion::create(name, RegionGeometry{});
    ASSERT_TRUE(dp);
    first_epoch = dp->epoch();
    auto cp = ShmRegion::attach(name, false);
    ASSERT_TRUE(cp);
    auto dp2 = ShmRegion::create(name, RegionGeometry{});  // a restarted dataplane
    ASSERT_TRUE(dp2);
    EXPECT_NE(dp2->epoch(), first_epoch);
    EXPECT_EQ(ShmRegion::currentEpoch(name), dp2->epoch());
    EXPECT_NE(ShmRegion::currentEpoch(name), cp->epoch());  // how the cp notices
  }
  EXPECT_EQ(ShmRegion::currentEpoch(name), 0u);
}

TEST(ShmRegion, IncompatibleMajorIsRefusedWithVersions) {
  std::string name = uniqueName("abi");
  auto dp = ShmRegion::create(name, RegionGeometry{});
  ASSERT_TRUE(dp);
  dp->header().abi_major = abi::kAbiMajor + 1;
  auto cp = ShmRegion::attach(name, false);
  ASSERT_FALSE(cp);
  EXPECT_NE(cp.error().message.find("speaks ABI " + std::to_string(abi::kAbiMajor + 1)),
            std::string::npos)
      << cp.error().message;
}

TEST(ShmRegion, ExcludedFromCoreDumps) {
  std::string name = uniqueName("dump");
  auto dp = ShmRegion::create(name, RegionGeometry{});
  ASSERT_TRUE(dp);
  // /proc/self/smaps lists "dd" in VmFlags for MADV_DONTDUMP mappings.
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_region = false;
  bool found = false;
  while (std::getline(smaps, line)) {
    // Mapping header lines start with "start-end "; attribute lines with "Name:".
    std::string first = line.substr(0, line.find(' '));
    bool header = first.find('-') != std::string::npos && first.back() != ':';
    if (header) {
      in_region = line.find("/dev/shm" + name) != std::string::npos;
    } else if (in_region && line.rfind("VmFlags:", 0) == 0) {
      found = true;
      EXPECT_NE(line.find(" dd"), std::string::npos) << line;
      // ASAN intercepts mlock() and makes it a no-op, so only check in other builds.
#if !defined(__SANITIZE_ADDRESS__)
      const bool check_locked = getuid() == 0;
#else
      const bool check_locked = false;
#endif
      if (check_locked) {
        EXPECT_NE(line.find(" lo"), std::string::npos) << "not mlocked: " << line;
      }
    }
  }
  EXPECT_TRUE(found);
}

// Two processes: this one is the dataplane-side creator and consumer of the command ring, a
// forked child attaches by name (its own mapping) and produces.
TEST(ShmRegion, TwoProcessesMoveTenMillionMessages) {
  uint64_t total = 10'000'000;
  if (const char* env = std::getenv("RAMPART_RING_MESSAGES")) {
    total = std::strtoull(env, nullptr, 10);
  }
  std::string name = uniqueName("procs");
  RegionGeometry g;
  g.cmd_slots = 1024;
  auto dp = ShmRegion::create(name, g);
  ASSERT_TRUE(dp);

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto cp = ShmRegion::attach(name, true);
    if (!cp) {
      _exit(2);
    }
    RingProducer p(cp->ring(0, RingKind::Command));
    uint64_t seq = 0;
    uint64_t deadline = monotonicNs() + 120'000'000'000ull;
    while (seq < total) {
      uint32_t room = p.freeSlots(32);
      uint32_t n = room < 32 ? room : 32;
      if (n > total - seq) {
        n = static_cast<uint32_t>(total - seq);
      }
      for (uint32_t i = 0; i < n; ++i) {
        auto* m = static_cast<abi::MsgHeader*>(p.slot(i));
        m->type = abi::MsgType::FlowQuery;
        m->size = sizeof(abi::FlowQuery);
        m->seq = static_cast<uint32_t>(seq + i);
        m->flow = (seq + i) * 0x9e3779b97f4a7c15ull;
      }
      if (n > 0) {
        p.publish(n);
        seq += n;
      } else if (monotonicNs() > deadline) {
        _exit(3);
      }
    }
    _exit(0);
  }

  RingConsumer c(dp->ring(0, RingKind::Command));
  uint64_t expected = 0;
  uint64_t bad = 0;
  uint64_t deadline = monotonicNs() + 120'000'000'000ull;
  while (expected < total && monotonicNs() < deadline) {
    uint32_t n = c.available(32);
    n = n < 32 ? n : 32;
    for (uint32_t i = 0; i < n; ++i) {
      const auto* m = static_cast<const abi::MsgHeader*>(c.slot(i));
      bool ok = m->type == abi::MsgType::FlowQuery && m->seq == static_cast<uint32_t>(expected) &&
                m->flow == expected * 0x9e3779b97f4a7c15ull;
      bad += ok ? 0 : 1;
      ++expected;
    }
    if (n > 0) {
      c.release(n);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  EXPECT_EQ(expected, total);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(ringCounters(dp->ring(0, RingKind::Command)).enqueued, total);
}

}  // namespace
}  // namespace rampart::platform
