#pragma once
// CPU pinning helpers for worker threads and benchmarks.
#include <vector>

#include <rampart/platform/result.h>

namespace rampart::platform {

// CPUs this process may run on (sched_getaffinity).
std::vector<int> allowedCpus();
// Pins the calling thread to one CPU. @return Error with the errno text on failure.
Result<void> pinCurrentThread(int cpu);

}  // namespace rampart::platform
