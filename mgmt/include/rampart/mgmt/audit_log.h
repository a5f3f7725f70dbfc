#pragma once
// The audit log: every management action and configuration change (who, when, from where,
// what, the outcome), one JSON object per line, appended and fsynced. A record is first written
// with "seq" and "prev" (the previous record's hash; "" for the first); its "hash" is the
// SHA-256 (hex) of exactly those bytes and is appended as the last member:
//   {"action":"...","prev":"<hash of line n-1>","seq":n,...,"hash":"<sha256 of the text before>"}
// so verification works on the bytes (no re-serialisation): an edited line fails its own hash,
// a removed or inserted one the next line's "prev" and "seq". Removing the newest lines is
// only visible against the last seq recorded elsewhere (rampart_audit_records_total, the
// verify report's last seq). The chain continues across restarts (the last line is read back).
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include <rampart/platform/result.h>

namespace rampart::mgmt {

class AuditLog {
 public:
  /// Opens (creates) `path` for appending and reads the chain's last hash.
  /// @return Io naming the file when it cannot be opened.
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path);
  ~AuditLog();

  /// Appends one record: `entry` gets "time", "seq", "prev" and "hash" added. Thread-safe;
  /// fsynced before returning (management actions are rare).
  Result<void> append(nlohmann::json entry);
  const std::string& path() const { return path_; }

 private:
  AuditLog() = default;
  std::mutex mu_;
  std::string path_;
  int fd_ = -1;
  std::string last_hash_;
  uint64_t seq_ = 0;
};

struct AuditVerdict {
  bool ok = true;
  uint64_t lines = 0;
  uint64_t bad_line = 0;  // 1-based, when !ok
  std::string reason;
};

/// Checks a whole audit file's chain (text of the file).
AuditVerdict verifyAuditChain(const std::string& text);

}  // namespace rampart::mgmt
