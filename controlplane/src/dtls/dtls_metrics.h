#pragma once
// rampart_cp_dtls_* counters. Every label set is created up front (bounded: outcomes x
// profiles, drop reasons), so the hot path only increments a pointer it already holds.
#include <array>
#include <cstddef>
#include <cstdint>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <rampart/platform/abi.h>

#include "dtls/record_demux.h"

namespace rampart::cp::dtls {

enum class Outcome : uint8_t { Ok, FingerprintMismatch, Timeout, Failed };
inline constexpr size_t kOutcomes = 4;

// Why a punted datagram never reached a session's OpenSSL. The first kRecordVerdicts values
// mirror RecordVerdict (Ok unused).
enum class DropReason : uint8_t {
  UnknownFlow = kRecordVerdicts,  // no session for the flow that punted it
  SessionDone,                    // the session failed or the peer closed it
  NotDtls,                        // punted as another kind (STUN reaches the cp only by mistake)
  ShortCiphertext,  // a protected record too short for the cipher (see hasShortCiphertext)
};
inline constexpr size_t kDropReasons = kRecordVerdicts + 4;

class DtlsMetrics {
 public:
  explicit DtlsMetrics(prometheus::Registry& registry);

  /// One finished handshake; @p suite is the negotiated profile's (None when none was agreed).
  void handshake(Outcome outcome, abi::SrtpSuite suite);
  void dropped(RecordVerdict verdict) { drops_[static_cast<size_t>(verdict)]->Increment(); }
  void dropped(DropReason reason) { drops_[static_cast<size_t>(reason)]->Increment(); }
  void retransmitted() { retransmissions_->Increment(); }
  void injectRefused() { inject_refused_->Increment(); }
  void sessionOpened() { sessions_->Increment(); }
  void sessionClosed() { sessions_->Decrement(); }

  /// Values for tests and the benchmark.
  double handshakes(Outcome outcome, abi::SrtpSuite suite) const;
  double drops(DropReason reason) const { return drops_[static_cast<size_t>(reason)]->Value(); }
  double drops(RecordVerdict v) const { return drops_[static_cast<size_t>(v)]->Value(); }
  double retransmissions() const { return retransmissions_->Value(); }

 private:
  static constexpr size_t kProfileSlots = 4;  // three profiles and "none"
  std::array<std::array<prometheus::Counter*, kProfileSlots>, kOutcomes> handshakes_{};
  std::array<prometheus::Counter*, kDropReasons> drops_{};
  prometheus::Counter* retransmissions_;
  prometheus::Counter* inject_refused_;
  prometheus::Gauge* sessions_;
};

}  // namespace rampart::cp::dtls
