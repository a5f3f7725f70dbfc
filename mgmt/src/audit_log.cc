#include <rampart/mgmt/audit_log.h>

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>
#include <string_view>

#include <rampart/mgmt/api_auth.h>

namespace rampart::mgmt {
namespace {

constexpr std::string_view kHashKey = ",\"hash\":\"";
constexpr std::size_t kHashSuffix = kHashKey.size() + 64 + 2;  // ,"hash":" + 64 hex + "}

struct Parsed {
  bool ok = false;
  std::string reason;
  std::string hash;
  std::string prev;
  uint64_t seq = 0;
};

// Splits one line into its record text and hash and checks the hash.
Parsed parseLine(const std::string& line) {
  Parsed p;
  if (line.size() < kHashSuffix + 2 ||
      line.compare(line.size() - kHashSuffix, kHashKey.size(), kHashKey) != 0 ||
      line.back() != '}' || line[line.size() - 2] != '"') {
    p.reason = "no hash at the end of the line";
    return p;
  }
  p.hash = line.substr(line.size() - kHashSuffix + kHashKey.size(), 64);
  std::string record = line.substr(0, line.size() - kHashSuffix) + "}";
  if (sha256Hex(record) != p.hash) {
    p.reason = "the line was altered (its hash does not match)";
    return p;
  }
  nlohmann::json j = nlohmann::json::parse(record, nullptr, false);
  if (!j.is_object() || !j.contains("prev") || !j["prev"].is_string() || !j.contains("seq") ||
      !j["seq"].is_number_unsigned()) {
    p.reason = "not an audit record (prev, seq)";
    return p;
  }
  p.prev = j["prev"].get<std::string>();
  p.seq = j["seq"].get<uint64_t>();
  p.ok = true;
  return p;
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  std::unique_ptr<AuditLog> log(new AuditLog());
  log->path_ = path;
  std::ifstream in(path);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      last = line;
    }
  }
  if (!last.empty()) {
    Parsed p = parseLine(last);
    log->last_hash_ = p.hash;  // a broken tail still chains on: verify reports it
    log->seq_ = p.seq;
  }
  log->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log->fd_ < 0) {
    return Error(ErrorCode::Io, "audit: cannot open " + path);
  }
  return log;
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

Result<void> AuditLog::append(nlohmann::json entry) {
  std::lock_guard<std::mutex> lock(mu_);
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  entry["time"] = stamp;
  entry["seq"] = seq_ + 1;
  entry["prev"] = last_hash_;
  entry.erase("hash");
  std::string record = entry.dump();
  std::string hash = sha256Hex(record);
  std::string line = record.substr(0, record.size() - 1) + ",\"hash\":\"" + hash + "\"}\n";
  if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      fdatasync(fd_) != 0) {
    return Error(ErrorCode::Io, "audit: cannot write " + path_);
  }
  last_hash_ = hash;
  ++seq_;
  return {};
}

AuditVerdict verifyAuditChain(const std::string& text) {
  AuditVerdict v;
  std::istringstream in(text);
  std::string line;
  std::string prev;
  uint64_t seq = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++v.lines;
    Parsed p = parseLine(line);
    if (p.ok && first && (!p.prev.empty() || p.seq != 1)) {
      p.ok = false;
      p.reason = "the first record is missing (this one is seq " + std::to_string(p.seq) + ")";
    } else if (p.ok && !first && p.prev != prev) {
      p.ok = false;
      p.reason = "the chain breaks here (a line before it was removed, altered or inserted)";
    } else if (p.ok && !first && p.seq != seq + 1) {
      p.ok = false;
      p.reason = "seq " + std::to_string(p.seq) + " follows " + std::to_string(seq);
    }
    if (!p.ok) {
      v.ok = false;
      v.bad_line = v.lines;
      v.reason = p.reason;
      return v;
    }
    prev = p.hash;
    seq = p.seq;
    first = false;
  }
  return v;
}

}  // namespace rampart::mgmt
