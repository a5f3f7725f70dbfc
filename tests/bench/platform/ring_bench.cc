// Ring throughput: one producer process and one consumer process, each pinned to its own core,
// moving fixed-size messages in bursts of 32 through (a) Rampart's SPSC ring and (b) DPDK's
// rte_ring in single-producer/single-consumer mode with the same element size, in the same
// run and the same shared memory. Prints messages/s for both and the ratio.
//
//   rampart-bench-ring [--messages N] [--runs R]
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <rampart/platform/cpu.h>
#include <rampart/platform/shm_region.h>
#include <rampart/platform/spsc_ring.h>

namespace {

using rampart::platform::monotonicNs;

constexpr uint32_t kSlots = 1024;
constexpr uint32_t kBurst = 32;

struct Shared {
  std::atomic<uint32_t> ready;
  std::atomic<uint32_t> go;
  std::atomic<uint64_t> bad;
  std::atomic<uint64_t> elapsed_ns;
};

struct Impl {
  virtual ~Impl() = default;
  // Returns how many of `n` messages (esize bytes each, contiguous in `src`) were enqueued.
  virtual uint32_t enqueue(const uint8_t* src, uint32_t n) = 0;
  virtual uint32_t dequeue(uint8_t* dst, uint32_t n) = 0;
};

struct RampartImpl : Impl {
  explicit RampartImpl(rampart::platform::RingHeader* h) : p(h), c(h) {}
  uint32_t enqueue(const uint8_t* src, uint32_t n) override { return p.enqueueSlots(src, n); }
  uint32_t dequeue(uint8_t* dst, uint32_t n) override { return c.dequeueBurst(dst, n); }
  rampart::platform::RingProducer p;
  rampart::platform::RingConsumer c;
};

struct DpdkImpl : Impl {
  DpdkImpl(rte_ring* ring, uint32_t element_size) : r(ring), esize(element_size) {}
  uint32_t enqueue(const uint8_t* src, uint32_t n) override {
    return rte_ring_sp_enqueue_burst_elem(r, src, esize, n, nullptr);
  }
  uint32_t dequeue(uint8_t* dst, uint32_t n) override {
    return rte_ring_sc_dequeue_burst_elem(r, dst, esize, n, nullptr);
  }
  rte_ring* r;
  uint32_t esize;
};

void pin(int cpu) {
  auto r = rampart::platform::pinCurrentThread(cpu);
  if (!r) {
    std::fprintf(stderr, "warning: %s\n", r.error().message.c_str());
  }
}

// Runs one producer/consumer pair; returns messages per second (0 on failure).
double runPair(Impl& impl, Shared* sh, uint32_t esize, uint64_t total, int prod_cpu,
               int cons_cpu) {
  sh->ready = 0;
  sh->go = 0;
  sh->bad = 0;
  sh->elapsed_ns = 0;
  pid_t child = fork();
  if (child < 0) {
    std::perror("fork");
    return 0;
  }
  if (child == 0) {
    pin(cons_cpu);
    std::vector<uint8_t> buf(static_cast<std::size_t>(kBurst) * esize);
    sh->ready.fetch_add(1);
    while (sh->go.load(std::memory_order_acquire) == 0) {
    }
    uint64_t got = 0;
    uint64_t bad = 0;
    uint64_t start = monotonicNs();
    uint64_t give_up = start + 60'000'000'000ull;
    while (got < total) {
      uint32_t n = impl.dequeue(buf.data(), kBurst);
      for (uint32_t i = 0; i < n; ++i) {
        uint64_t seq;
        std::memcpy(&seq, buf.data() + static_cast<std::size_t>(i) * esize, sizeof(seq));
        bad += seq != got + i ? 1 : 0;
      }
      got += n;
      if (n == 0 && monotonicNs() > give_up) {
        bad += total - got;
        break;
      }
    }
    sh->elapsed_ns = monotonicNs() - start;
    sh->bad = bad;
    _exit(0);
  }
  pin(prod_cpu);
  std::vector<uint8_t> buf(static_cast<std::size_t>(kBurst) * esize, 0xab);
  while (sh->ready.load() == 0) {
  }
  sh->go.store(1, std::memory_order_release);
  uint64_t sent = 0;
  uint64_t give_up = monotonicNs() + 60'000'000'000ull;
  while (sent < total) {
    uint32_t want = static_cast<uint32_t>(std::min<uint64_t>(kBurst, total - sent));
    for (uint32_t i = 0; i < want; ++i) {
      uint64_t seq = sent + i;
      std::memcpy(buf.data() + static_cast<std::size_t>(i) * esize, &seq, sizeof(seq));
    }
    uint32_t k = impl.enqueue(buf.data(), want);
    sent += k;
    if (k == 0 && monotonicNs() > give_up) {
      break;
    }
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (sh->bad != 0 || sh->elapsed_ns == 0) {
    std::fprintf(stderr, "error: %llu messages lost or out of order\n",
                 static_cast<unsigned long long>(sh->bad.load()));
    return 0;
  }
  return static_cast<double>(total) * 1e9 / static_cast<double>(sh->elapsed_ns);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t total = 20'000'000;
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--messages") {
      total = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--runs") {
      runs = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--messages N] [--runs R]\n", argv[0]);
      return 2;
    }
  }
  std::vector<int> cpus = rampart::platform::allowedCpus();
  int prod_cpu = cpus.empty() ? 0 : cpus.front();
  int cons_cpu = cpus.size() > 1 ? cpus[1] : prod_cpu;
  if (cpus.size() < 2) {
    std::fprintf(stderr, "warning: fewer than 2 CPUs; producer and consumer share one\n");
  }
  std::printf("ring throughput, 1 producer process (cpu %d) -> 1 consumer process (cpu %d), "
              "%u slots, bursts of %u, %llu messages per run, median of %d runs\n",
              prod_cpu, cons_cpu, kSlots, kBurst, static_cast<unsigned long long>(total), runs);
  std::printf("%-10s %18s %18s %8s\n", "msg bytes", "rampart msg/s", "rte_ring msg/s", "ratio");

  for (uint32_t esize : {16u, 64u, 256u}) {
    std::size_t ours = rampart::platform::ringBytes(kSlots, esize);
    auto theirs = static_cast<std::size_t>(rte_ring_get_memsize_elem(esize, kSlots));
    std::size_t bytes = 4096 + ours + theirs + 4096;
    void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      std::perror("mmap");
      return 1;
    }
    auto* sh = new (mem) Shared{};
    auto* ring_mem = static_cast<uint8_t*>(mem) + 4096;
    auto* dpdk_mem = reinterpret_cast<rte_ring*>(ring_mem + ((ours + 4095) & ~std::size_t{4095}));
    std::vector<double> r_ours;
    std::vector<double> r_dpdk;
    for (int run = 0; run < runs; ++run) {
      RampartImpl a(rampart::platform::ringInit(ring_mem, kSlots, esize));
      r_ours.push_back(runPair(a, sh, esize, total, prod_cpu, cons_cpu));
      if (rte_ring_init(dpdk_mem, "bench", kSlots, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
        std::fprintf(stderr, "rte_ring_init failed\n");
        return 1;
      }
      DpdkImpl b(dpdk_mem, esize);
      r_dpdk.push_back(runPair(b, sh, esize, total, prod_cpu, cons_cpu));
    }
    double mo = median(r_ours);
    double md = median(r_dpdk);
    std::printf("%-10u %18.0f %18.0f %8.2f\n", esize, mo, md, md > 0 ? mo / md : 0.0);
    munmap(mem, bytes);
    if (mo == 0 || md == 0) {
      return 1;
    }
  }
  return 0;
}
