#pragma once
// Chooses the dataplane worker of a new call: the one holding the fewest calls. Both legs of a
// call (all its flows) go to that worker, so a packet never crosses workers on its way through.
#include <cstdint>
#include <vector>

namespace rampart::cp {

class WorkerPicker {
 public:
  explicit WorkerPicker(uint32_t workers = 1) { resize(workers); }

  /// Sets the worker count (the dataplane's, after a handshake); counts of kept workers stay.
  void resize(uint32_t workers) { sessions_.resize(workers == 0 ? 1 : workers, 0); }
  /// @return the least loaded worker (lowest index on ties), now counted as holding one more call.
  uint32_t acquire();
  /// Counts one more call on @p worker (a session restored with its worker).
  void acquire(uint32_t worker);
  /// One call of @p worker ended.
  void release(uint32_t worker);
  uint32_t sessions(uint32_t worker) const {
    return worker < sessions_.size() ? sessions_[worker] : 0;
  }
  uint32_t workers() const { return static_cast<uint32_t>(sessions_.size()); }

 private:
  std::vector<uint32_t> sessions_;
};

}  // namespace rampart::cp
