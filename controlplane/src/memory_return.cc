#include "memory_return.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

#include <rampart/platform/log.h>

namespace rampart::cp {

uint64_t residentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) {
    return 0;
  }
  unsigned long long size = 0;
  unsigned long long resident = 0;
  int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

MemoryReturn::MemoryReturn(prometheus::Registry& registry) {
  trims_ = &prometheus::BuildCounter()
                .Name("rampart_cp_memory_trims_total")
                .Help("Times freed heap memory was given back to the system after a burst")
                .Register(registry)
                .Add({});
  returned_ = &prometheus::BuildCounter()
                   .Name("rampart_cp_memory_returned_bytes_total")
                   .Help("Resident memory given back to the system by those trims")
                   .Register(registry)
                   .Add({});
}

void MemoryReturn::sample(std::size_t load) {
  if (load > peak_) {
    peak_ = load;
    next_trim_ = load / 4;
    return;
  }
  if (peak_ < kMinPeak || load > next_trim_) {
    return;
  }
  trim();
  // Again each time the rest has drained by another factor of 4, and last when it is all
  // gone: what the last transactions held pins pages until then.
  if (load == 0) {
    peak_ = 0;
  } else {
    next_trim_ = load / 4;
  }
}

void MemoryReturn::trim() {
  uint64_t before = residentBytes();
  malloc_trim(0);
  uint64_t after = residentBytes();
  trims_->Increment();
  if (before > after) {
    returned_->Increment(static_cast<double>(before - after));
  }
  struct mallinfo2 heap = mallinfo2();
  RAMPART_LOG(platform::LogLevel::Info, "memory",
              "burst over: %llu kB given back, %llu kB resident, heap %llu kB in use, %llu kB free",
              static_cast<unsigned long long>((before > after ? before - after : 0) / 1024),
              static_cast<unsigned long long>(after / 1024),
              static_cast<unsigned long long>(heap.uordblks / 1024),
              static_cast<unsigned long long>(heap.fordblks / 1024));
}

}  // namespace rampart::cp
