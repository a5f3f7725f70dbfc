#pragma once
// Keeps the ban list in a file across control-plane restarts (security.ban_file). One line per
// ban, "address expires_unix_s reason", written whole to a temporary file and renamed over the
// old one, so a crash leaves either the old or the new list. Changes are batched: the guard's
// sweep calls flush() (at most one write per sweep, only when something changed), so a flood
// that bans thousands of sources costs a few writes, not thousands.
#include <cstdint>
#include <string>

#include "security/ban_list.h"

namespace rampart::cp::security {

class BanStore : public BanList::Listener {
 public:
  BanStore(std::string path, BanList& bans) : path_(std::move(path)), bans_(bans) {}

  /// Reads the file into the ban list (bans already expired at `now_unix_s` are skipped; a
  /// missing file is an empty list). @return lines that could not be read (logged).
  std::size_t load(int64_t now_unix_s);
  /// Writes the list when it changed since the last write. @return false on a write error
  /// (logged, retried on the next flush).
  bool flush();

  void onBanAdded(const Ban&) override { dirty_ = true; }
  void onBanRemoved(const Ban&, const char*) override { dirty_ = true; }

 private:
  std::string path_;
  BanList& bans_;
  bool dirty_ = false;
};

}  // namespace rampart::cp::security
