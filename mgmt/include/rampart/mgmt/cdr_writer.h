#pragma once
// Call detail records: one JSON object per line in `<directory>/cdr.jsonl`. Records are handed
// to a thread of their own (the event loop never waits for a disk), which appends them and
// fsyncs in batches (every fsync_interval, and at stop). When the current file would pass
// max_file_bytes it is renamed `cdr-<UTC time>-<n>.jsonl` and a new one begun; only the newest
// max_files rotated files are kept.
//
// Metrics: rampart_cdr_records_total, rampart_cdr_write_errors_total, rampart_cdr_fsyncs_total.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <rampart/platform/result.h>

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace rampart::mgmt {

struct CdrWriterOptions {
  std::string directory;
  uint64_t max_file_bytes = 64ull << 20;
  uint32_t max_files = 30;
  std::chrono::milliseconds fsync_interval{1000};
};

class CdrWriter {
 public:
  CdrWriter(CdrWriterOptions options, prometheus::Registry& registry);
  ~CdrWriter();  // writes and fsyncs what is queued
  CdrWriter(const CdrWriter&) = delete;
  CdrWriter& operator=(const CdrWriter&) = delete;

  /// Creates the directory if needed, opens the current file and starts the thread.
  /// @return Io naming the path when it cannot.
  Result<void> start();
  /// Queues one record (a JSON object on one line, no newline).
  void write(std::string line);
  /// Waits until everything queued so far is written and fsynced (tests, shutdown).
  void flush();

 private:
  void run();
  void writeBatch(std::deque<std::string>& batch);
  void rotate();
  void pruneRotated();

  CdrWriterOptions options_;
  std::string current_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t rotations_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable flushed_cv_;
  std::deque<std::string> queue_;
  uint64_t queued_ = 0;
  uint64_t synced_ = 0;
  bool stop_ = false;
  bool flush_requested_ = false;
  std::thread thread_;
  prometheus::Counter* records_;
  prometheus::Counter* errors_;
  prometheus::Counter* fsyncs_;
};

}  // namespace rampart::mgmt
