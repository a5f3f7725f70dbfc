#pragma once
// The shared-memory region between rampart-dataplane (creator) and rampart-controlplane
// (attacher): a header (magic, ABI version, epoch, geometry) followed, per dataplane worker, by
// four SPSC rings (command, event, punt, inject) and a statistics area.
//
// The region carries SRTP keys, so both sides lock it in memory and exclude it from core dumps.
// A dataplane restart creates a fresh region with a new epoch; the control plane notices with
// currentEpoch() and re-programs its flows.
#include <cstddef>
#include <cstdint>
#include <string>

#include <rampart/platform/result.h>
#include <rampart/platform/spsc_ring.h>

namespace rampart::platform {

inline constexpr uint64_t kRegionMagic = 0x5452415052414d52ull;  // "RMARPART" little-endian
inline constexpr uint32_t kMaxWorkers = 16;

enum class RingKind : uint8_t { Command = 0, Event = 1, Punt = 2, Inject = 3 };
inline constexpr uint32_t kRingKinds = 4;
const char* ringKindName(RingKind k);

struct RingPlacement {
  uint64_t offset;  // from the region start
  uint32_t slot_count;
  uint32_t slot_size;
};

struct WorkerPlacement {
  RingPlacement rings[kRingKinds];
  uint64_t stats_offset;
  uint64_t stats_size;
};

enum class RegionState : uint32_t { Initialising = 0, Ready = 1, Stopping = 2 };

struct RegionHeader {
  uint64_t magic;
  uint16_t abi_major;
  uint16_t abi_minor;
  uint16_t n_workers;
  uint16_t _pad;
  uint64_t epoch;  // unique per dataplane start
  uint64_t total_size;
  uint32_t dp_pid;
  std::atomic<uint32_t> state;
  std::atomic<uint64_t> heartbeat_ns;  // dataplane's CLOCK_MONOTONIC, refreshed while alive
  uint64_t global_stats_offset;
  uint64_t global_stats_size;
  WorkerPlacement workers[kMaxWorkers];
};

struct RegionGeometry {
  uint32_t n_workers = 1;
  uint32_t cmd_slots = 1024;
  uint32_t evt_slots = 4096;
  uint32_t punt_slots = 512;
  uint32_t inject_slots = 512;
  uint64_t stats_bytes_per_worker = 4096;
  uint64_t global_stats_bytes = 4096;
};

class ShmRegion {
 public:
  ShmRegion() = default;
  ShmRegion(ShmRegion&& other) noexcept;
  ShmRegion& operator=(ShmRegion&& other) noexcept;
  ShmRegion(const ShmRegion&) = delete;
  ShmRegion& operator=(const ShmRegion&) = delete;
  ~ShmRegion();

  // Dataplane side: creates (replacing any stale region of that name) and initialises the
  // region, then marks it Ready. `name` is a POSIX shm name such as "/rampart".
  // @return Error naming the failing call (shm_open, ftruncate, mmap) and errno text.
  static Result<ShmRegion> create(const std::string& name, const RegionGeometry& geometry);

  // Control-plane side: maps an existing Ready region and checks magic and ABI major.
  // With `exclusive`, also takes an advisory lock so a second control plane is refused.
  // @return Error explaining what is missing or incompatible.
  static Result<ShmRegion> attach(const std::string& name, bool exclusive);

  // Epoch of the region currently published under `name`, or 0 if none is Ready. The control
  // plane compares this with epoch() to detect a dataplane restart.
  static uint64_t currentEpoch(const std::string& name);

  bool valid() const { return base_ != nullptr; }
  RegionHeader& header() const { return *static_cast<RegionHeader*>(base_); }
  uint64_t epoch() const { return header().epoch; }
  uint32_t workers() const { return header().n_workers; }
  RingHeader* ring(uint32_t worker, RingKind kind) const;
  void* stats(uint32_t worker) const;
  uint64_t statsSize(uint32_t worker) const;
  void* globalStats() const;
  bool memoryLocked() const { return locked_; }
  const std::string& name() const { return name_; }

  // Dataplane side: publish liveness (call every few hundred ms) and mark shutdown.
  void heartbeat();
  void markStopping();

 private:
  void release();

  std::string name_;
  void* base_ = nullptr;
  std::size_t size_ = 0;
  int fd_ = -1;
  bool owner_ = false;
  bool locked_ = false;
};

// Monotonic clock in nanoseconds (CLOCK_MONOTONIC), shared by both processes on one host.
uint64_t monotonicNs();

}  // namespace rampart::platform
