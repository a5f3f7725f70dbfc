#pragma once
// Test helper: builds Ethernet/IPv4|IPv6/UDP frames and RTP headers byte by byte, with an
// independent (16-bit word loop) checksum implementation so the dataplane's own checksum code
// is checked against something else.
#include <cstdint>
#include <cstring>
#include <vector>

namespace rampart::dp::test {

inline uint16_t refChecksum(const std::vector<uint8_t>& bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    sum += (uint32_t{bytes[i]} << 8) | bytes[i + 1];
  }
  if (bytes.size() % 2 != 0) {
    sum += uint32_t{bytes.back()} << 8;
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

struct Addr {
  uint8_t family = 4;
  uint8_t b[16]{};
};

inline Addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  Addr x;
  x.family = 4;
  x.b[0] = a;
  x.b[1] = b;
  x.b[2] = c;
  x.b[3] = d;
  return x;
}

// "2001:2:0:2::N" style addresses: prefix words then the last byte.
inline Addr v6(uint16_t w0, uint16_t w1, uint16_t w2, uint16_t w3, uint8_t last) {
  Addr x;
  x.family = 6;
  uint16_t w[4] = {w0, w1, w2, w3};
  for (int i = 0; i < 4; ++i) {
    x.b[2 * i] = static_cast<uint8_t>(w[i] >> 8);
    x.b[2 * i + 1] = static_cast<uint8_t>(w[i]);
  }
  x.b[15] = last;
  return x;
}

inline void put16(std::vector<uint8_t>& v, size_t off, uint16_t x) {
  v[off] = static_cast<uint8_t>(x >> 8);
  v[off + 1] = static_cast<uint8_t>(x);
}
inline uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

inline uint16_t udpChecksum(const Addr& src, const Addr& dst, const uint8_t* udp, size_t len) {
  std::vector<uint8_t> ph;
  size_t alen = src.family == 4 ? 4 : 16;
  ph.insert(ph.end(), src.b, src.b + alen);
  ph.insert(ph.end(), dst.b, dst.b + alen);
  if (src.family == 4) {
    ph.push_back(0);
    ph.push_back(17);
    ph.push_back(static_cast<uint8_t>(len >> 8));
    ph.push_back(static_cast<uint8_t>(len));
  } else {
    ph.push_back(0);
    ph.push_back(0);
    ph.push_back(static_cast<uint8_t>(len >> 8));
    ph.push_back(static_cast<uint8_t>(len));
    ph.push_back(0);
    ph.push_back(0);
    ph.push_back(0);
    ph.push_back(17);
  }
  ph.insert(ph.end(), udp, udp + len);
  uint16_t c = refChecksum(ph);
  return c == 0 ? 0xffff : c;
}

inline std::vector<uint8_t> udpFrame(const uint8_t* dst_mac, const uint8_t* src_mac,
                                     const Addr& src, const Addr& dst, uint16_t sport,
                                     uint16_t dport, const std::vector<uint8_t>& payload,
                                     uint8_t tos = 0) {
  bool is6 = src.family == 6;
  size_t l3 = is6 ? 40 : 20;
  std::vector<uint8_t> f(14 + l3 + 8 + payload.size());
  std::memcpy(f.data(), dst_mac, 6);
  std::memcpy(f.data() + 6, src_mac, 6);
  put16(f, 12, is6 ? 0x86dd : 0x0800);
  size_t ip = 14;
  size_t udp = ip + l3;
  size_t udp_len = 8 + payload.size();
  if (is6) {
    f[ip] = static_cast<uint8_t>(0x60 | (tos >> 4));
    f[ip + 1] = static_cast<uint8_t>(tos << 4);
    put16(f, ip + 4, static_cast<uint16_t>(udp_len));
    f[ip + 6] = 17;
    f[ip + 7] = 64;
    std::memcpy(&f[ip + 8], src.b, 16);
    std::memcpy(&f[ip + 24], dst.b, 16);
  } else {
    f[ip] = 0x45;
    f[ip + 1] = tos;
    put16(f, ip + 2, static_cast<uint16_t>(20 + udp_len));
    f[ip + 8] = 64;
    f[ip + 9] = 17;
    std::memcpy(&f[ip + 12], src.b, 4);
    std::memcpy(&f[ip + 16], dst.b, 4);
    std::vector<uint8_t> hdr(f.begin() + 14, f.begin() + 34);
    put16(f, ip + 10, refChecksum(hdr));
  }
  put16(f, udp, sport);
  put16(f, udp + 2, dport);
  put16(f, udp + 4, static_cast<uint16_t>(udp_len));
  if (!payload.empty()) {
    std::memcpy(&f[udp + 8], payload.data(), payload.size());
  }
  put16(f, udp + 6, udpChecksum(src, dst, &f[udp], udp_len));
  return f;
}

inline std::vector<uint8_t> rtpPacket(uint16_t seq, uint32_t ts, uint32_t ssrc, size_t body,
                                      uint8_t pt = 0) {
  std::vector<uint8_t> p(12 + body);
  p[0] = 0x80;
  p[1] = pt;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  for (int i = 0; i < 4; ++i) {
    p[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
    p[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  }
  for (size_t i = 0; i < body; ++i) {
    p[12 + i] = static_cast<uint8_t>(i * 7 + seq);
  }
  return p;
}

// Minimal RTCP receiver report (RR with no blocks) from `ssrc`, padded with an APP-free body.
inline std::vector<uint8_t> rtcpPacket(uint32_t ssrc) {
  std::vector<uint8_t> p(8);
  p[0] = 0x80;
  p[1] = 201;  // RR
  p[2] = 0;
  p[3] = 1;  // length in 32-bit words minus one
  for (int i = 0; i < 4; ++i) {
    p[4 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  }
  return p;
}

}  // namespace rampart::dp::test
