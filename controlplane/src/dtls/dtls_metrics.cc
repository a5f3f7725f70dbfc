#include "dtls/dtls_metrics.h"

#include <string>

#include <prometheus/family.h>

namespace rampart::cp::dtls {

namespace {

constexpr std::array<const char*, kOutcomes> kOutcomeLabels{"ok", "fingerprint_mismatch", "timeout",
                                                            "failed"};
constexpr std::array<const char*, 4> kProfileLabels{
    "SRTP_AEAD_AES_256_GCM", "SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80", "none"};

size_t profileIndex(abi::SrtpSuite suite) {
  switch (suite) {
    case abi::SrtpSuite::AeadAes256Gcm: return 0;
    case abi::SrtpSuite::AeadAes128Gcm: return 1;
    case abi::SrtpSuite::AesCm128HmacSha1_80: return 2;
    default: return kProfileLabels.size() - 1;
  }
}

std::string dropLabel(size_t i) {
  if (i < kRecordVerdicts) {
    return std::string(verdictLabel(static_cast<RecordVerdict>(i)));
  }
  switch (static_cast<DropReason>(i)) {
    case DropReason::UnknownFlow: return "unknown_flow";
    case DropReason::SessionDone: return "session_done";
    case DropReason::NotDtls: return "not_dtls";
    case DropReason::ShortCiphertext: return "short_ciphertext";
  }
  return "other";
}

}  // namespace

DtlsMetrics::DtlsMetrics(prometheus::Registry& registry) {
  auto& hs = prometheus::BuildCounter()
                 .Name("rampart_cp_dtls_handshakes_total")
                 .Help("DTLS-SRTP handshakes finished, by outcome and negotiated SRTP profile")
                 .Register(registry);
  for (size_t o = 0; o < kOutcomes; ++o) {
    for (size_t p = 0; p < kProfileLabels.size(); ++p) {
      // Only successes agree on a profile; failures all count under "none".
      if ((o == 0) == (p + 1 < kProfileLabels.size())) {
        handshakes_[o][p] =
            &hs.Add({{"outcome", kOutcomeLabels[o]}, {"profile", kProfileLabels[p]}});
      }
    }
  }
  auto& drops = prometheus::BuildCounter()
                    .Name("rampart_cp_dtls_records_dropped_total")
                    .Help("Punted DTLS datagrams dropped before OpenSSL, by reason")
                    .Register(registry);
  for (size_t i = 1; i < kDropReasons; ++i) {  // 0 is RecordVerdict::Ok
    drops_[i] = &drops.Add({{"reason", dropLabel(i)}});
  }
  drops_[0] = drops_[static_cast<size_t>(RecordVerdict::Empty)];
  retransmissions_ = &prometheus::BuildCounter()
                          .Name("rampart_cp_dtls_retransmissions_total")
                          .Help("DTLS handshake flights retransmitted after a timeout")
                          .Register(registry)
                          .Add({});
  inject_refused_ = &prometheus::BuildCounter()
                         .Name("rampart_cp_dtls_inject_refused_total")
                         .Help("DTLS datagrams not sent: inject ring full or link down")
                         .Register(registry)
                         .Add({});
  sessions_ = &prometheus::BuildGauge()
                   .Name("rampart_cp_dtls_sessions")
                   .Help("DTLS sessions held (handshaking, or done and kept for retransmissions)")
                   .Register(registry)
                   .Add({});
}

void DtlsMetrics::handshake(Outcome outcome, abi::SrtpSuite suite) {
  size_t o = static_cast<size_t>(outcome);
  size_t p = outcome == Outcome::Ok ? profileIndex(suite) : kProfileLabels.size() - 1;
  if (handshakes_[o][p] != nullptr) {
    handshakes_[o][p]->Increment();
  }
}

double DtlsMetrics::handshakes(Outcome outcome, abi::SrtpSuite suite) const {
  size_t o = static_cast<size_t>(outcome);
  size_t p = profileIndex(suite);
  return handshakes_[o][p] != nullptr ? handshakes_[o][p]->Value() : 0;
}

}  // namespace rampart::cp::dtls
