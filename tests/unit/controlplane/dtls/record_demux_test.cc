// The record check in front of OpenSSL.
#include "dtls/record_demux.h"

#include <vector>

#include <gtest/gtest.h>

namespace rampart::cp::dtls {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes record(uint8_t type, uint16_t epoch, const Bytes& body, uint8_t ver_lo = 0xfd) {
  Bytes r = {type,
             0xfe,
             ver_lo,
             static_cast<uint8_t>(epoch >> 8),
             static_cast<uint8_t>(epoch),
             0,
             0,
             0,
             0,
             0,
             1,
             static_cast<uint8_t>(body.size() >> 8),
             static_cast<uint8_t>(body.size())};
  r.insert(r.end(), body.begin(), body.end());
  return r;
}

// A handshake fragment: msg_len, offset and fragment length as given, `frag` bytes of body.
Bytes handshake(uint32_t msg_len, uint32_t off, uint32_t frag_len, size_t frag) {
  Bytes b = {1,
             static_cast<uint8_t>(msg_len >> 16),
             static_cast<uint8_t>(msg_len >> 8),
             static_cast<uint8_t>(msg_len),
             0,
             0,
             static_cast<uint8_t>(off >> 16),
             static_cast<uint8_t>(off >> 8),
             static_cast<uint8_t>(off),
             static_cast<uint8_t>(frag_len >> 16),
             static_cast<uint8_t>(frag_len >> 8),
             static_cast<uint8_t>(frag_len)};
  b.resize(b.size() + frag, 0x5a);
  return b;
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(RecordDemux, AcceptsWellFormedDatagrams) {
  Bytes hello = record(22, 0, handshake(100, 0, 100, 100), 0xff);
  DemuxResult r = checkDatagram(hello);
  EXPECT_EQ(r.verdict, RecordVerdict::Ok);
  EXPECT_EQ(r.records, 1);
  EXPECT_TRUE(r.has_handshake);

  Bytes flight = cat(cat(record(22, 0, handshake(2000, 1000, 500, 500)), record(20, 0, {1})),
                     record(22, 1, Bytes(40, 7)));  // encrypted Finished: body not checked
  r = checkDatagram(flight);
  EXPECT_EQ(r.verdict, RecordVerdict::Ok);
  EXPECT_EQ(r.records, 3);
  for (uint8_t type : {21, 23, 24, 25}) {
    EXPECT_EQ(checkDatagram(record(type, 1, Bytes(30, 1))).verdict, RecordVerdict::Ok);
  }
}

TEST(RecordDemux, RefusesGarbage) {
  EXPECT_EQ(checkDatagram({}).verdict, RecordVerdict::Empty);
  EXPECT_EQ(checkDatagram(record(19, 1, {1})).verdict, RecordVerdict::BadContentType);
  EXPECT_EQ(checkDatagram(record(26, 1, {1})).verdict, RecordVerdict::BadContentType);
  EXPECT_EQ(checkDatagram(record(23, 1, {1}, 0xfc)).verdict, RecordVerdict::BadVersion);
  Bytes tls = record(23, 1, {1});
  tls[1] = 0x03;  // TLS, not DTLS
  EXPECT_EQ(checkDatagram(tls).verdict, RecordVerdict::BadVersion);
  EXPECT_EQ(checkDatagram(record(23, 1, {})).verdict, RecordVerdict::BadLength);

  Bytes good = record(23, 1, Bytes(20, 1));
  Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_EQ(checkDatagram(truncated).verdict, RecordVerdict::BadLength);
  Bytes short_header(good.begin(), good.begin() + 10);
  EXPECT_EQ(checkDatagram(short_header).verdict, RecordVerdict::BadLength);
  // A good record followed by trailing bytes that are not a record.
  DemuxResult r = checkDatagram(cat(good, Bytes{23, 0xfe}));
  EXPECT_EQ(r.verdict, RecordVerdict::BadLength);
  EXPECT_EQ(r.records, 1);
  EXPECT_EQ(checkDatagram(cat(good, Bytes(16, 0x00))).verdict, RecordVerdict::BadContentType);
}

TEST(RecordDemux, ChecksPlaintextHandshakeHeaders) {
  // Fragment length disagrees with the record.
  EXPECT_EQ(checkDatagram(record(22, 0, handshake(100, 0, 90, 100))).verdict,
            RecordVerdict::BadHandshake);
  // Fragment past the end of its message.
  EXPECT_EQ(checkDatagram(record(22, 0, handshake(100, 50, 60, 60))).verdict,
            RecordVerdict::BadHandshake);
  // Shorter than a handshake header.
  EXPECT_EQ(checkDatagram(record(22, 0, Bytes(5, 1))).verdict, RecordVerdict::BadHandshake);
  EXPECT_EQ(verdictLabel(RecordVerdict::BadHandshake), "bad_handshake");
}

}  // namespace
}  // namespace rampart::cp::dtls
