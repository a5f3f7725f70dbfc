#include <rampart/platform/shm_region.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <random>

#include <rampart/platform/abi.h>

namespace rampart::platform {
namespace {

Error sysError(const std::string& what, const std::string& name) {
  return Error{ErrorCode::Io, what + " " + name + ": " + std::strerror(errno)};
}

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

uint64_t newEpoch() {
  // Unique per start even if the clock is reset: time plus randomness.
  std::random_device rd;
  uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  uint64_t e = (static_cast<uint64_t>(std::time(nullptr)) << 20) ^ (r & 0xfffff);
  return e == 0 ? 1 : e;
}

}  // namespace

const char* ringKindName(RingKind k) {
  switch (k) {
    case RingKind::Command: return "command";
    case RingKind::Event: return "event";
    case RingKind::Punt: return "punt";
    case RingKind::Inject: return "inject";
  }
  return "unknown";
}

uint64_t monotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

ShmRegion::ShmRegion(ShmRegion&& other) noexcept { *this = std::move(other); }

ShmRegion& ShmRegion::operator=(ShmRegion&& other) noexcept {
  if (this != &other) {
    release();
    name_ = std::move(other.name_);
    base_ = other.base_;
    size_ = other.size_;
    fd_ = other.fd_;
    owner_ = other.owner_;
    locked_ = other.locked_;
    other.base_ = nullptr;
    other.fd_ = -1;
    other.owner_ = false;
  }
  return *this;
}

ShmRegion::~ShmRegion() { release(); }

void ShmRegion::release() {
  if (base_ != nullptr) {
    if (owner_) {
      // Wipe before unmapping: the region held SRTP keys.
      explicit_bzero(base_, size_);
    }
    munmap(base_, size_);
    base_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (owner_) {
    shm_unlink(name_.c_str());
    owner_ = false;
  }
}

Result<ShmRegion> ShmRegion::create(const std::string& name, const RegionGeometry& g) {
  if (g.n_workers == 0 || g.n_workers > kMaxWorkers) {
    return Error{ErrorCode::InvalidArgument,
                 "region " + name + ": worker count must be 1.." + std::to_string(kMaxWorkers)};
  }
  for (uint32_t count : {g.cmd_slots, g.evt_slots, g.punt_slots, g.inject_slots}) {
    if (!isPowerOfTwo(count)) {
      return Error{ErrorCode::InvalidArgument,
                   "region " + name + ": ring slot counts must be powers of two"};
    }
  }
  // Layout: header page, then per worker its four rings and stats, each cache-line aligned.
  uint64_t off = alignUp(sizeof(RegionHeader), 4096);
  RegionHeader layout{};
  for (uint32_t w = 0; w < g.n_workers; ++w) {
    const RingPlacement rings[kRingKinds] = {
        {0, g.cmd_slots, abi::kCmdSlotSize},
        {0, g.evt_slots, abi::kCmdSlotSize},
        {0, g.punt_slots, abi::kPacketSlotSize},
        {0, g.inject_slots, abi::kPacketSlotSize},
    };
    for (uint32_t k = 0; k < kRingKinds; ++k) {
      layout.workers[w].rings[k] = rings[k];
      layout.workers[w].rings[k].offset = off;
      off = alignUp(off + ringBytes(rings[k].slot_count, rings[k].slot_size), kCacheLine);
    }
    layout.workers[w].stats_offset = off;
    layout.workers[w].stats_size = g.stats_bytes_per_worker;
    off = alignUp(off + g.stats_bytes_per_worker, kCacheLine);
  }
  layout.global_stats_offset = off;
  layout.global_stats_size = g.global_stats_bytes;
  off = alignUp(off + g.global_stats_bytes, 4096);

  // A region left by a crashed dataplane is replaced, never reused: its epoch is stale.
  shm_unlink(name.c_str());
  ShmRegion r;
  r.name_ = name;
  r.fd_ = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (r.fd_ < 0) {
    return sysError("shm_open", name);
  }
  r.owner_ = true;
  if (ftruncate(r.fd_, static_cast<off_t>(off)) != 0) {
    return sysError("ftruncate", name);
  }
  r.size_ = off;
  void* base = mmap(nullptr, off, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r.fd_, 0);
  if (base == MAP_FAILED) {
    return sysError("mmap", name);
  }
  r.base_ = base;
  madvise(base, off, MADV_DONTDUMP);
  r.locked_ = mlock(base, off) == 0;

  auto* h = new (base) RegionHeader{};
  h->magic = 0;  // published last
  h->abi_major = abi::kAbiMajor;
  h->abi_minor = abi::kAbiMinor;
  h->n_workers = static_cast<uint16_t>(g.n_workers);
  h->epoch = newEpoch();
  h->total_size = off;
  h->dp_pid = static_cast<uint32_t>(getpid());
  h->global_stats_offset = layout.global_stats_offset;
  h->global_stats_size = layout.global_stats_size;
  for (uint32_t w = 0; w < g.n_workers; ++w) {
    h->workers[w] = layout.workers[w];
    for (uint32_t k = 0; k < kRingKinds; ++k) {
      const RingPlacement& p = layout.workers[w].rings[k];
      ringInit(static_cast<uint8_t*>(base) + p.offset, p.slot_count, p.slot_size);
    }
  }
  h->heartbeat_ns.store(monotonicNs(), std::memory_order_relaxed);
  h->magic = kRegionMagic;
  h->state.store(static_cast<uint32_t>(RegionState::Ready), std::memory_order_release);
  return r;
}

Result<ShmRegion> ShmRegion::attach(const std::string& name, bool exclusive) {
  ShmRegion r;
  r.name_ = name;
  r.fd_ = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (r.fd_ < 0) {
    if (errno == ENOENT) {
      return Error{ErrorCode::Unavailable, "shared-memory region " + name +
                                               " does not exist (is rampart-dataplane running?)"};
    }
    return sysError("shm_open", name);
  }
  if (exclusive && flock(r.fd_, LOCK_EX | LOCK_NB) != 0) {
    return Error{ErrorCode::Conflict,
                 "region " + name + " is already attached by another control plane"};
  }
  struct stat st {};
  if (fstat(r.fd_, &st) != 0) {
    return sysError("fstat", name);
  }
  if (static_cast<std::size_t>(st.st_size) < sizeof(RegionHeader)) {
    return Error{ErrorCode::Unavailable,
                 "region " + name + " is too small to be a Rampart region (still initialising?)"};
  }
  r.size_ = static_cast<std::size_t>(st.st_size);
  void* base = mmap(nullptr, r.size_, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd_, 0);
  if (base == MAP_FAILED) {
    return sysError("mmap", name);
  }
  r.base_ = base;
  madvise(base, r.size_, MADV_DONTDUMP);
  r.locked_ = mlock(base, r.size_) == 0;
  const RegionHeader& h = r.header();
  if (h.state.load(std::memory_order_acquire) != static_cast<uint32_t>(RegionState::Ready) ||
      h.magic != kRegionMagic) {
    return Error{ErrorCode::Unavailable,
                 "region " + name + " is not ready (bad magic or dataplane still starting)"};
  }
  if (h.abi_major != abi::kAbiMajor) {
    return Error{ErrorCode::Unsupported,
                 "region " + name + " speaks ABI " + std::to_string(h.abi_major) + "." +
                     std::to_string(h.abi_minor) + ", this build speaks " +
                     std::to_string(abi::kAbiMajor) + "." + std::to_string(abi::kAbiMinor) +
                     ": upgrade both processes together"};
  }
  if (h.total_size != r.size_ || h.n_workers == 0 || h.n_workers > kMaxWorkers) {
    return Error{ErrorCode::Malformed, "region " + name + " has an inconsistent header"};
  }
  // Every ring must lie inside the region where the header places it, initialised (ringInit
  // writes the magic) with the geometry the header states: producers trust both.
  for (uint32_t w = 0; w < h.n_workers; ++w) {
    for (uint32_t k = 0; k < kRingKinds; ++k) {
      const RingPlacement& p = h.workers[w].rings[k];
      bool inside = p.offset % kCacheLine == 0 && p.offset < r.size_ &&
                    ringBytes(p.slot_count, p.slot_size) <= r.size_ - p.offset;
      const auto* ring = inside ? r.ring(w, static_cast<RingKind>(k)) : nullptr;
      if (ring == nullptr || ring->magic != kRingMagic || ring->slot_count != p.slot_count ||
          ring->slot_size != p.slot_size || !isPowerOfTwo(p.slot_count) ||
          ring->mask != p.slot_count - 1) {
        return Error{ErrorCode::Malformed, "region " + name + ": worker " + std::to_string(w) +
                                               "'s " + ringKindName(static_cast<RingKind>(k)) +
                                               " ring is not initialised (magic or geometry)"};
      }
    }
  }
  return r;
}

uint64_t ShmRegion::currentEpoch(const std::string& name) {
  int fd = shm_open(name.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    return 0;
  }
  RegionHeader h;
  ssize_t n = pread(fd, &h, sizeof(h), 0);
  close(fd);
  if (n != static_cast<ssize_t>(sizeof(h)) || h.magic != kRegionMagic ||
      h.state.load(std::memory_order_relaxed) != static_cast<uint32_t>(RegionState::Ready)) {
    return 0;
  }
  return h.epoch;
}

RingHeader* ShmRegion::ring(uint32_t worker, RingKind kind) const {
  if (worker >= workers()) {
    return nullptr;
  }
  const RingPlacement& p = header().workers[worker].rings[static_cast<uint32_t>(kind)];
  return reinterpret_cast<RingHeader*>(static_cast<uint8_t*>(base_) + p.offset);
}

void* ShmRegion::stats(uint32_t worker) const {
  if (worker >= workers()) {
    return nullptr;
  }
  return static_cast<uint8_t*>(base_) + header().workers[worker].stats_offset;
}

uint64_t ShmRegion::statsSize(uint32_t worker) const {
  return worker < workers() ? header().workers[worker].stats_size : 0;
}

void* ShmRegion::globalStats() const {
  return static_cast<uint8_t*>(base_) + header().global_stats_offset;
}

void ShmRegion::heartbeat() {
  header().heartbeat_ns.store(monotonicNs(), std::memory_order_relaxed);
}

void ShmRegion::markStopping() {
  header().state.store(static_cast<uint32_t>(RegionState::Stopping), std::memory_order_release);
}

}  // namespace rampart::platform
