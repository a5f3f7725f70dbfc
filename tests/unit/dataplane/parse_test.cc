#include "pkt/parse.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include <rampart/dp/stats_layout.h>

#include "packet_builder.h"
#include "pkt/checksum.h"
#include "pkt/demux.h"

namespace rampart::dp {
namespace {

using test::udpFrame;
using test::v4;
using test::v6;

const uint8_t kMacA[6] = {2, 0, 0, 0, 0, 1};
const uint8_t kMacB[6] = {2, 0, 0, 0, 0, 2};

TEST(Checksum, MatchesReferenceForOddAndEvenLengths) {
  for (size_t len : {0u, 1u, 2u, 3u, 7u, 8u, 9u, 20u, 171u, 1200u}) {
    std::vector<uint8_t> b(len);
    for (size_t i = 0; i < len; ++i) {
      b[i] = static_cast<uint8_t>(i * 31 + 7);
    }
    uint16_t ours = csumFold(csumAdd(0, b.data(), b.size()));
    uint16_t ref = test::refChecksum(b);
    uint8_t ours_be[2];
    std::memcpy(ours_be, &ours, 2);
    EXPECT_EQ(test::get16(ours_be), ref) << "len " << len;
  }
}

TEST(Parse, Ipv4Udp) {
  auto f = udpFrame(kMacA, kMacB, v4(198, 18, 2, 2), v4(198, 18, 2, 1), 4000, 20000,
                    std::vector<uint8_t>(172, 0x80), 0xb8);
  PacketInfo pi;
  ASSERT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi), kNoDrop);
  EXPECT_EQ(pi.kind, PktKind::Udp);
  EXPECT_EQ(pi.family, 4);
  EXPECT_EQ(pi.tos, 0xb8);
  EXPECT_EQ(pi.src_port, 4000);
  EXPECT_EQ(pi.dst_port, 20000);
  EXPECT_EQ(pi.payload_off, 14 + 20 + 8);
  EXPECT_EQ(pi.payload_len, 172);
  EXPECT_EQ(pi.dst[3], 1);
}

TEST(Parse, Ipv6Udp) {
  auto f = udpFrame(kMacA, kMacB, v6(0x2001, 2, 0, 2, 2), v6(0x2001, 2, 0, 2, 1), 4000, 20002,
                    std::vector<uint8_t>(100, 0x80), 0xb8);
  PacketInfo pi;
  ASSERT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi), kNoDrop);
  EXPECT_EQ(pi.family, 6);
  EXPECT_EQ(pi.tos, 0xb8);
  EXPECT_EQ(pi.payload_off, 14 + 40 + 8);
  EXPECT_EQ(pi.payload_len, 100);
}

TEST(Parse, EveryTruncationIsMalformedNeverAnOverread) {
  auto f4 = udpFrame(kMacA, kMacB, v4(198, 18, 2, 2), v4(198, 18, 2, 1), 1, 2,
                     std::vector<uint8_t>(20, 1));
  auto f6 = udpFrame(kMacA, kMacB, v6(0x2001, 2, 0, 2, 2), v6(0x2001, 2, 0, 2, 1), 1, 2,
                     std::vector<uint8_t>(20, 1));
  for (auto* f : {&f4, &f6}) {
    for (size_t len = 0; len < f->size(); ++len) {
      // A heap copy of exactly `len` bytes, so ASan would catch any read past the end.
      std::vector<uint8_t> cut(f->begin(), f->begin() + static_cast<long>(len));
      PacketInfo pi;
      EXPECT_NE(parseFrame(cut.data(), static_cast<uint32_t>(len), &pi), kNoDrop) << len;
    }
  }
}

TEST(Parse, BadLengthsAndChecksums) {
  auto base = udpFrame(kMacA, kMacB, v4(198, 18, 2, 2), v4(198, 18, 2, 1), 1, 2,
                       std::vector<uint8_t>(40, 1));
  PacketInfo pi;
  auto f = base;
  f[14 + 10] ^= 0xff;  // IP checksum
  EXPECT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi), DropReason::BadIpChecksum);
  f = base;
  test::put16(f, 34 + 4, 7);  // UDP length below its header
  EXPECT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi), DropReason::Malformed);
  f = base;
  test::put16(f, 34 + 4, 49);  // UDP length beyond the IP payload
  EXPECT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi), DropReason::Malformed);
  f = base;
  f[14] = 0x44;  // IHL 4 words
  EXPECT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi), DropReason::Malformed);
  f = base;
  f[14 + 6] = 0x20;  // MF
  f[14 + 10] = 0;
  f[14 + 11] = 0;
  std::vector<uint8_t> hdr(f.begin() + 14, f.begin() + 34);
  test::put16(f, 24, test::refChecksum(hdr));
  EXPECT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi), DropReason::Fragment);
  f = base;
  f.resize(f.size() + 6);  // Ethernet padding is fine
  EXPECT_EQ(parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi), kNoDrop);
  EXPECT_EQ(pi.payload_len, 40);
}

TEST(Parse, Arp) {
  std::vector<uint8_t> f(42);
  std::memset(f.data(), 0xff, 6);
  std::memcpy(&f[6], kMacB, 6);
  test::put16(f, 12, 0x0806);
  test::put16(f, 14, 1);
  test::put16(f, 16, 0x0800);
  f[18] = 6;
  f[19] = 4;
  test::put16(f, 20, 1);
  std::memcpy(&f[22], kMacB, 6);
  uint8_t spa[4] = {198, 18, 2, 2};
  uint8_t tpa[4] = {198, 18, 2, 1};
  std::memcpy(&f[28], spa, 4);
  std::memcpy(&f[38], tpa, 4);
  PacketInfo pi;
  ASSERT_EQ(parseFrame(f.data(), 42, &pi), kNoDrop);
  EXPECT_EQ(pi.kind, PktKind::Arp);
  EXPECT_EQ(pi.arp_op, 1);
  EXPECT_EQ(pi.target[3], 1);
  EXPECT_EQ(pi.src[3], 2);
  EXPECT_EQ(parseFrame(f.data(), 41, &pi), DropReason::Malformed);
}

TEST(Demux, Rfc7983Ranges) {
  uint8_t p[64] = {};
  p[0] = 0;
  EXPECT_EQ(demuxPayload(p, 20), PayloadKind::Stun);
  EXPECT_EQ(demuxPayload(p, 19), PayloadKind::Other);
  p[0] = 22;
  EXPECT_EQ(demuxPayload(p, 13), PayloadKind::Dtls);
  p[0] = 0x80;
  p[1] = 0;
  EXPECT_EQ(demuxPayload(p, 12), PayloadKind::Rtp);
  EXPECT_EQ(demuxPayload(p, 11), PayloadKind::Other);
  p[1] = 200;
  EXPECT_EQ(demuxPayload(p, 8), PayloadKind::Rtcp);
  p[1] = 0x80 | 96;  // marker + PT 96 is RTP
  EXPECT_EQ(demuxPayload(p, 12), PayloadKind::Rtp);
  p[0] = 70;
  EXPECT_EQ(demuxPayload(p, 20), PayloadKind::Other);
  EXPECT_EQ(demuxPayload(p, 0), PayloadKind::Other);
}

TEST(DropReasons, LabelsAreUniqueAndNamed) {
  std::set<std::string> seen;
  for (uint32_t i = 0; i < kDropReasonCount; ++i) {
    std::string l = dropReasonLabel(static_cast<DropReason>(i));
    EXPECT_TRUE(seen.insert(l).second) << l;
    EXPECT_STRNE(dropReasonText(static_cast<DropReason>(i)), "");
  }
  EXPECT_LE(kDropReasonCount, kMaxDropSlots);
}

}  // namespace
}  // namespace rampart::dp
