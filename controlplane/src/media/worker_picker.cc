#include "media/worker_picker.h"

namespace rampart::cp {

uint32_t WorkerPicker::acquire() {
  uint32_t best = 0;
  for (uint32_t w = 1; w < sessions_.size(); ++w) {
    if (sessions_[w] < sessions_[best]) {
      best = w;
    }
  }
  ++sessions_[best];
  return best;
}

void WorkerPicker::acquire(uint32_t worker) {
  if (worker >= sessions_.size()) {
    sessions_.resize(worker + 1, 0);
  }
  ++sessions_[worker];
}

void WorkerPicker::release(uint32_t worker) {
  if (worker < sessions_.size() && sessions_[worker] > 0) {
    --sessions_[worker];
  }
}

}  // namespace rampart::cp
