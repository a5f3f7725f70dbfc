#include <rampart/platform/cpu.h>

#include <pthread.h>
#include <sched.h>

#include <cstring>
#include <string>

namespace rampart::platform {

std::vector<int> allowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) {
        cpus.push_back(c);
      }
    }
  }
  return cpus;
}

Result<void> pinCurrentThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (rc != 0) {
    return Error{ErrorCode::Io,
                 "cannot pin thread to CPU " + std::to_string(cpu) + ": " + std::strerror(rc)};
  }
  return {};
}

}  // namespace rampart::platform
