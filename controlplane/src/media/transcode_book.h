#pragma once
// Transcoded calls in progress: the per-realm limit (realms[i].sdp.max_transcoded_calls) and
// the counts the metrics show (by realm, by codec pair). One per control plane, on its loop.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rampart::cp {

class TranscodeBook {
 public:
  /// @p limits per realm index; 0: no limit.
  explicit TranscodeBook(std::vector<uint32_t> limits)
      : limits_(std::move(limits)), active_(limits_.size()), refused_(limits_.size()) {}

  /// Reserves one transcoded call on realms @p a and @p b for the codec @p pair.
  /// @return false at either realm's limit (the refusal is counted on that realm).
  bool acquire(uint32_t a, uint32_t b, const std::string& pair);
  void release(uint32_t a, uint32_t b, const std::string& pair);

  uint32_t active(uint32_t realm) const { return realm < active_.size() ? active_[realm] : 0; }
  uint64_t refused(uint32_t realm) const { return realm < refused_.size() ? refused_[realm] : 0; }
  /// Calls per codec pair ("opus-PCMU"); pairs stay listed at 0 once seen.
  const std::map<std::string, uint32_t>& pairs() const { return pairs_; }

 private:
  bool full(uint32_t realm) const {
    return realm < limits_.size() && limits_[realm] != 0 && active_[realm] >= limits_[realm];
  }
  std::vector<uint32_t> limits_;
  std::vector<uint32_t> active_;
  std::vector<uint64_t> refused_;
  std::map<std::string, uint32_t> pairs_;
};

}  // namespace rampart::cp
