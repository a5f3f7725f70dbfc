#include <rampart/mgmt/cdr_writer.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <rampart/platform/log.h>

namespace rampart::mgmt {
namespace fs = std::filesystem;

CdrWriter::CdrWriter(CdrWriterOptions options, prometheus::Registry& registry)
    : options_(std::move(options)) {
  auto counter = [&](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
  };
  records_ = counter("rampart_cdr_records_total", "Call detail records written");
  errors_ = counter("rampart_cdr_write_errors_total", "CDR writes or fsyncs that failed");
  fsyncs_ = counter("rampart_cdr_fsyncs_total", "Batched fsyncs of the CDR file");
}

CdrWriter::~CdrWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  if (fd_ >= 0) {
    close(fd_);
  }
}

Result<void> CdrWriter::start() {
  std::error_code ec;
  fs::create_directories(options_.directory, ec);
  current_ = (fs::path(options_.directory) / "cdr.jsonl").string();
  fd_ = open(current_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    return Error(ErrorCode::Io, "cdr: cannot open " + current_);
  }
  size_ = static_cast<uint64_t>(lseek(fd_, 0, SEEK_END));
  thread_ = std::thread([this] { run(); });
  return {};
}

void CdrWriter::write(std::string line) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(line));
    ++queued_;
  }
  cv_.notify_one();
}

void CdrWriter::flush() {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t want = queued_;
  flush_requested_ = true;
  cv_.notify_one();
  flushed_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return synced_ >= want || stop_; });
}

// Batches: whatever queued since the last pass is written, then fsynced once per interval.
void CdrWriter::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait_for(lock, options_.fsync_interval, [&] { return stop_ || flush_requested_; });
    std::deque<std::string> batch;
    batch.swap(queue_);
    uint64_t upto = queued_;
    bool stopping = stop_;
    flush_requested_ = false;
    lock.unlock();
    writeBatch(batch);
    lock.lock();
    synced_ = upto;
    flushed_cv_.notify_all();
    if (stopping && queue_.empty()) {
      return;
    }
  }
}

void CdrWriter::writeBatch(std::deque<std::string>& batch) {
  if (batch.empty()) {
    return;
  }
  for (std::string& line : batch) {
    line += '\n';
    if (size_ > 0 && size_ + line.size() > options_.max_file_bytes) {
      rotate();
    }
    ssize_t n = ::write(fd_, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size())) {
      errors_->Increment();
      continue;
    }
    size_ += line.size();
    records_->Increment();
  }
  if (fdatasync(fd_) != 0) {
    errors_->Increment();
  } else {
    fsyncs_->Increment();
  }
}

void CdrWriter::rotate() {
  fdatasync(fd_);
  close(fd_);
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string rotated = (fs::path(options_.directory) / ("cdr-" + std::string(stamp) + "-" +
                                                         std::to_string(++rotations_) + ".jsonl"))
                            .string();
  std::error_code ec;
  fs::rename(current_, rotated, ec);
  fd_ = open(current_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  size_ = 0;
  pruneRotated();
}

void CdrWriter::pruneRotated() {
  std::vector<fs::path> rotated;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.directory, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("cdr-", 0) == 0 && e.path().extension() == ".jsonl") {
      rotated.push_back(e.path());
    }
  }
  if (rotated.size() <= options_.max_files) {
    return;
  }
  // Names sort by time (then rotation number within a second): the oldest go first.
  std::sort(rotated.begin(), rotated.end(), [](const fs::path& a, const fs::path& b) {
    return fs::last_write_time(a) < fs::last_write_time(b);
  });
  for (std::size_t i = 0; i + options_.max_files < rotated.size(); ++i) {
    fs::remove(rotated[i], ec);
  }
}

}  // namespace rampart::mgmt
