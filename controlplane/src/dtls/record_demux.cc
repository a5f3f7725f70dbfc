#include "dtls/record_demux.h"

namespace rampart::cp::dtls {

namespace {

constexpr uint8_t kChangeCipherSpec = 20;
constexpr uint8_t kLastContentType = 25;  // tls12_cid (RFC 9146)
constexpr uint8_t kHandshake = 22;

uint32_t be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t be24(const uint8_t* p) { return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2]; }

// An epoch-0 handshake record holds exactly one fragment: its header must describe a fragment
// that lies inside its message and fills the rest of the record.
bool handshakeFragmentOk(const uint8_t* body, size_t len) {
  if (len < kHandshakeHeaderBytes) {
    return false;
  }
  uint32_t msg_len = be24(body + 1);
  uint32_t frag_off = be24(body + 6);
  uint32_t frag_len = be24(body + 9);
  return frag_len == len - kHandshakeHeaderBytes && frag_off <= msg_len &&
         frag_len <= msg_len - frag_off;
}

}  // namespace

std::string_view verdictLabel(RecordVerdict v) {
  switch (v) {
    case RecordVerdict::Ok: return "ok";
    case RecordVerdict::Empty: return "empty";
    case RecordVerdict::BadContentType: return "bad_content_type";
    case RecordVerdict::BadVersion: return "bad_version";
    case RecordVerdict::BadLength: return "bad_length";
    case RecordVerdict::BadHandshake: return "bad_handshake";
  }
  return "unknown";
}

DemuxResult checkDatagram(std::span<const uint8_t> datagram) {
  DemuxResult r;
  if (datagram.empty()) {
    return r;
  }
  const uint8_t* p = datagram.data();
  size_t left = datagram.size();
  while (left > 0) {
    if (left < kRecordHeaderBytes) {
      r.verdict = RecordVerdict::BadLength;
      return r;
    }
    if (p[0] < kChangeCipherSpec || p[0] > kLastContentType) {
      r.verdict = RecordVerdict::BadContentType;
      return r;
    }
    if (p[1] != 0xfe || (p[2] != 0xff && p[2] != 0xfd)) {
      r.verdict = RecordVerdict::BadVersion;
      return r;
    }
    size_t len = be16(p + 11);
    if (len == 0 || len > kMaxRecordBody || len > left - kRecordHeaderBytes) {
      r.verdict = RecordVerdict::BadLength;
      return r;
    }
    bool epoch0 = p[3] == 0 && p[4] == 0;
    if (p[0] == kHandshake && epoch0) {
      if (!handshakeFragmentOk(p + kRecordHeaderBytes, len)) {
        r.verdict = RecordVerdict::BadHandshake;
        return r;
      }
      r.has_handshake = true;
    }
    ++r.records;
    p += kRecordHeaderBytes + len;
    left -= kRecordHeaderBytes + len;
  }
  r.verdict = RecordVerdict::Ok;
  return r;
}

bool hasShortCiphertext(std::span<const uint8_t> datagram, size_t min_body) {
  const uint8_t* p = datagram.data();
  size_t left = datagram.size();
  while (left >= kRecordHeaderBytes) {
    size_t len = be16(p + 11);
    bool protected_epoch = p[3] != 0 || p[4] != 0;
    if (protected_epoch && len < min_body) {
      return true;
    }
    if (len > left - kRecordHeaderBytes) {
      return false;
    }
    p += kRecordHeaderBytes + len;
    left -= kRecordHeaderBytes + len;
  }
  return false;
}

}  // namespace rampart::cp::dtls
