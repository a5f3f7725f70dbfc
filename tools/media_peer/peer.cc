#include "media_peer/peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "media_peer/payload.h"
#include "media_peer/rtcp.h"
#include "media_peer/wire_bytes.h"

namespace rampart::tools {
namespace {

constexpr uint64_t kPeriodNs = 1000000000ull / kPacketsPerSecond;
constexpr uint64_t kAheadPeriods = 8;  // packets built ahead of their send time
constexpr std::size_t kBatch = 32;     // recvmmsg / sendmmsg burst
constexpr int kMaxDrainRounds = 8;     // per readable socket per loop pass
constexpr std::size_t kRxBufBytes = 2048;
constexpr std::size_t kCtrlBytes = 128;
constexpr int kSocketBufBytes = 1 << 20;
constexpr uint64_t kMaxSendPerPass = 4096;

uint64_t clockNs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t monoNs() { return clockNs(CLOCK_MONOTONIC); }

// Initial RTP seq/timestamp are a function of (nonce, stream) so the receiver can check them
// and sequence wrap-around gets exercised in long runs.
uint16_t initialSeq(uint64_t nonce, uint32_t stream) {
  return static_cast<uint16_t>(mix64(nonce ^ (0x5eedull << 32) ^ stream));
}

uint32_t initialTs(uint64_t nonce, uint32_t stream) {
  return static_cast<uint32_t>(mix64(nonce ^ (0x7157ull << 32) ^ stream));
}

uint64_t ntpNow() {
  const uint64_t ns = clockNs(CLOCK_REALTIME);
  constexpr uint64_t kNtpEpochOffset = 2208988800ull;
  const uint64_t secs = ns / 1000000000ull + kNtpEpochOffset;
  const uint64_t frac = ((ns % 1000000000ull) << 32) / 1000000000ull;
  return secs << 32 | frac;
}

}  // namespace

MediaPeer::MediaPeer(PeerOptions options) : o_(std::move(options)) {}

MediaPeer::~MediaPeer() {
  for (Stream& s : streams_) {
    if (s.rtp_fd >= 0) {
      close(s.rtp_fd);
    }
    if (s.rtcp_fd >= 0) {
      close(s.rtcp_fd);
    }
  }
  if (epoll_fd_ >= 0) {
    close(epoll_fd_);
  }
}

bool MediaPeer::openSocket(const SockAddr& local, int& fd, std::string& error) {
  fd = socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  const int one = 1;
  const int buf = kSocketBufBytes;
  // FORCE needs CAP_NET_ADMIN (the lab runs as root); fall back to the capped option.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  }
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  const bool v6 = local.family() == AF_INET6;
  const int tos_ok = v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one))
                        : setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
  if (tos_ok != 0) {
    error = std::string("enabling TOS reception: ") + std::strerror(errno);
    return false;
  }
  if (o_.send_tos) {
    const int tos = *o_.send_tos;
    const int r = v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos))
                     : setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
    if (r != 0) {
      error = std::string("--send-tos: ") + std::strerror(errno);
      return false;
    }
  }
  if (bind(fd, local.sa(), local.len) != 0) {
    error = "bind " + local.toString() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool MediaPeer::open(std::string& error) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return false;
  }
  streams_.resize(o_.streams);
  rx_.resize(o_.streams);
  for (uint32_t i = 0; i < o_.streams; ++i) {
    Stream& s = streams_[i];
    s.ssrc = o_.ssrc_base + i;
    s.seq0 = initialSeq(o_.nonce, i);
    s.ts0 = initialTs(o_.nonce, i);
    const auto offset = static_cast<uint16_t>(i * o_.port_step);
    SockAddr local = *o_.local;
    local.setPort(static_cast<uint16_t>(o_.local->port() + offset));
    if (!openSocket(local, s.rtp_fd, error)) {
      return false;
    }
    if (o_.remote) {
      s.remote_rtp = *o_.remote;
      s.remote_rtp.setPort(static_cast<uint16_t>(o_.remote->port() + offset));
      s.remote_rtcp = s.remote_rtp;
    }
    if (o_.rtcp == RtcpMode::Separate) {
      local.setPort(static_cast<uint16_t>(local.port() + 1));
      if (!openSocket(local, s.rtcp_fd, error)) {
        return false;
      }
      s.remote_rtcp.setPort(static_cast<uint16_t>(s.remote_rtp.port() + 1));
    }
    if (o_.suite != SrtpSuite::None) {
      std::string why;
      if (!o_.send_key.empty()) {
        s.tx = SrtpSession::create(o_.suite, o_.send_key, false, s.ssrc, why);
        if (!s.tx) {
          error = "--send-key: " + why;
          return false;
        }
      }
      if (!o_.recv_key.empty()) {
        s.rx = SrtpSession::create(o_.suite, o_.recv_key, true, 0, why);
        if (!s.rx) {
          error = "--recv-key: " + why;
          return false;
        }
      }
    }
    StreamRx& r = rx_[i];
    r.expected_ssrc = o_.expect_ssrc.value_or(o_.ssrc_base) + i;
    r.seen.assign((kMaxIndex + 64) / 64, 0);
    for (int fd : {s.rtp_fd, s.rtcp_fd}) {
      if (fd < 0) {
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = static_cast<uint64_t>(i) << 1 | (fd == s.rtcp_fd ? 1u : 0u);
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        error = std::string("epoll_ctl: ") + std::strerror(errno);
        return false;
      }
    }
  }
  slot_bytes_ = std::size_t{(12 + o_.payload_bytes + kSrtpTrailerRoom + 15) / 16} * 16;
  ring_slots_ = kAheadPeriods * o_.streams;
  ring_.assign(ring_slots_ * slot_bytes_, 0);
  ring_len_.assign(ring_slots_, 0);
  return true;
}

uint64_t MediaPeer::dueNs(uint64_t g) const {
  const uint64_t n = o_.streams;
  return start_ns_ + (g / n) * kPeriodNs + (g % n) * kPeriodNs / n;
}

// The induced delay is a pure function of (seed, packet), so a run can be repeated exactly.
// The send loop goes in packet order, so a packet due before one still held back waits for
// it: order is kept, as on one FIFO link.
uint64_t MediaPeer::sendAtNs(uint64_t g) const {
  if (o_.jitter_ms == 0) {
    return dueNs(g);
  }
  const uint64_t span_us = static_cast<uint64_t>(o_.jitter_ms) * 1000 + 1;
  return dueNs(g) + (mix64(o_.impair_seed ^ (0x6a17ull << 40) ^ g) % span_us) * 1000;
}

bool MediaPeer::impairedDrop(uint64_t g) const {
  if (o_.loss_pct <= 0) {
    return false;
  }
  // The top 53 bits as a uniform double in [0, 1).
  const double u =
      static_cast<double>(mix64(o_.impair_seed ^ (0x1055ull << 40) ^ g) >> 11) * 0x1p-53;
  return u * 100.0 < o_.loss_pct;
}

void MediaPeer::buildPacket(uint64_t g) {
  const auto sidx = static_cast<uint32_t>(g % o_.streams);
  const auto k = static_cast<uint32_t>(g / o_.streams);
  Stream& s = streams_[sidx];
  uint8_t* p = ring_.data() + (g % ring_slots_) * slot_bytes_;
  p[0] = 0x80;
  // Marker on the first packet of the talk spurt, as a real sender does.
  p[1] = static_cast<uint8_t>(o_.payload_type | (k == 0 ? 0x80 : 0));
  put16(p + 2, static_cast<uint16_t>(s.seq0 + k));
  put32(p + 4, s.ts0 + k * kSamplesPerPacket);
  put32(p + 8, s.ssrc);
  writePayload(p + 12, o_.payload_bytes, PayloadFields{sidx, k, dueNs(g), o_.nonce});
  int len = static_cast<int>(12 + o_.payload_bytes);
  if (s.tx && s.tx->protectRtp(p, len) != SrtpStatus::Ok) {
    len = 0;  // counted as dropped when its turn comes
  }
  ring_len_[g % ring_slots_] = static_cast<uint32_t>(len);
}

void MediaPeer::fillAhead() {
  while (g_built_ < total_ && g_built_ - g_sent_ < ring_slots_) {
    buildPacket(g_built_++);
  }
}

void MediaPeer::sendBatch(uint32_t stream, const std::vector<uint64_t>& packets, uint64_t now) {
  Stream& s = streams_[stream];
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  std::size_t done = 0;
  while (done < packets.size()) {
    const std::size_t n = std::min(kBatch, packets.size() - done);
    std::size_t count = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const uint64_t g = packets[done + j];
      const uint32_t len = ring_len_[g % ring_slots_];
      const uint64_t late = now > sendAtNs(g) ? now - sendAtNs(g) : 0;
      tx_totals_.lateness.add(late);
      if (late > 1000000) {
        ++tx_totals_.late_over_1ms;
      }
      if (len == 0) {
        ++tx_totals_.dropped;
        continue;
      }
      if (impairedDrop(g)) {
        ++tx_totals_.impaired_dropped;  // never sent: the receiver sees a sequence gap
        continue;
      }
      iov[count] = {ring_.data() + (g % ring_slots_) * slot_bytes_, len};
      msgs[count] = {};
      msgs[count].msg_hdr.msg_name = s.remote_rtp.sa();
      msgs[count].msg_hdr.msg_namelen = s.remote_rtp.len;
      msgs[count].msg_hdr.msg_iov = &iov[count];
      msgs[count].msg_hdr.msg_iovlen = 1;
      ++count;
    }
    std::size_t i = 0;
    while (i < count) {
      const int r = sendmmsg(s.rtp_fd, msgs + i, static_cast<unsigned>(count - i), 0);
      if (r <= 0) {
        // Never block or retry: a full buffer is the sender falling behind, and it shows.
        if (tx_totals_.first_errno == 0) {
          tx_totals_.first_errno = errno;
        }
        ++tx_totals_.dropped;
        ++i;
        continue;
      }
      for (int j = 0; j < r; ++j) {
        ++tx_totals_.packets;
        tx_totals_.bytes += msgs[i + j].msg_len;
        ++s.sent_packets;
        s.sent_octets += o_.payload_bytes;
      }
      i += static_cast<std::size_t>(r);
    }
    done += n;
  }
}

void MediaPeer::sendDue(uint64_t now) {
  uint64_t end = g_sent_;
  const uint64_t limit = std::min(g_built_, g_sent_ + kMaxSendPerPass);
  while (end < limit && sendAtNs(end) <= now) {
    ++end;
  }
  if (end == g_sent_) {
    return;
  }
  tx_totals_.scheduled += end - g_sent_;
  // Packets of one stream go out in one sendmmsg; that only batches when the sender is a
  // period or more behind, because consecutive packets belong to different streams.
  std::vector<uint64_t> batch;
  const uint64_t n = o_.streams;
  for (uint64_t first = g_sent_; first < end && first < g_sent_ + n; ++first) {
    batch.clear();
    for (uint64_t g = first; g < end; g += n) {
      batch.push_back(g);
    }
    sendBatch(static_cast<uint32_t>(first % n), batch, now);
  }
  g_sent_ = end;
  fillAhead();
}

void MediaPeer::sendRtcp() {
  for (uint32_t i = 0; i < o_.streams; ++i) {
    Stream& s = streams_[i];
    StreamRx& r = rx_[i];
    uint8_t buf[256];
    SenderInfo si;
    si.ntp = ntpNow();
    const uint64_t elapsed = monoNs() > start_ns_ ? monoNs() - start_ns_ : 0;
    si.rtp_ts = s.ts0 + static_cast<uint32_t>(elapsed * kRtpClockHz / 1000000000ull);
    si.packets = static_cast<uint32_t>(s.sent_packets);
    si.octets = static_cast<uint32_t>(s.sent_octets);
    ReportBlock rb;
    rb.ssrc = r.last_ssrc != 0 ? r.last_ssrc : r.expected_ssrc;
    const uint64_t exp_interval = r.expected() - r.expected_prior;
    const uint64_t rcv_interval = r.received - r.received_prior;
    if (exp_interval > rcv_interval) {
      rb.fraction_lost = static_cast<uint8_t>(((exp_interval - rcv_interval) << 8) / exp_interval);
    }
    r.expected_prior = r.expected();
    r.received_prior = r.received;
    rb.cumulative_lost = static_cast<uint32_t>(std::min<uint64_t>(r.lost(), 0x7fffff));
    rb.highest_seq = r.highest < 0 ? 0 : static_cast<uint32_t>(s.seq0 + r.highest);
    rb.jitter = static_cast<uint32_t>(r.jitter_ts);
    if (r.last_sr_mid != 0) {
      rb.lsr = r.last_sr_mid;
      rb.dlsr = static_cast<uint32_t>((monoNs() - r.last_sr_rx_ns) * 65536 / 1000000000ull);
    }
    const bool has_block = o_.receives() && r.received > 0;
    std::size_t len = buildRtcp(buf, sizeof(buf) - kSrtpTrailerRoom, s.ssrc,
                                o_.sends() ? &si : nullptr, has_block ? &rb : nullptr);
    int ilen = static_cast<int>(len);
    if (s.tx && s.tx->protectRtcp(buf, ilen) != SrtpStatus::Ok) {
      ++tx_totals_.rtcp_dropped;
      continue;
    }
    const SockAddr* to = o_.remote ? &s.remote_rtcp : nullptr;
    if (to == nullptr && s.rtcp_source) {
      to = &*s.rtcp_source;
    }
    if (to == nullptr) {
      continue;  // recv mode before the far end's first RTCP: nobody to report to yet
    }
    const int fd = s.rtcp_fd >= 0 ? s.rtcp_fd : s.rtp_fd;
    if (o_.rtcp_delay_ms != 0) {
      held_rtcp_.push_back({monoNs() + o_.rtcp_delay_ms * 1000000ull, fd, *to,
                            std::vector<uint8_t>(buf, buf + ilen)});
      continue;
    }
    const ssize_t w = sendto(fd, buf, static_cast<std::size_t>(ilen), 0, to->sa(), to->len);
    if (w < 0) {
      ++tx_totals_.rtcp_dropped;
    } else {
      ++tx_totals_.rtcp;
    }
  }
}

void MediaPeer::drainSocket(uint32_t stream, bool rtcp_socket) {
  // 70 KB of receive buffers: static keeps them off the stack, and the peer is one thread.
  static uint8_t bufs[kBatch][kRxBufBytes];
  static uint8_t ctrl[kBatch][kCtrlBytes];
  static sockaddr_storage from[kBatch];
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  const int fd = rtcp_socket ? streams_[stream].rtcp_fd : streams_[stream].rtp_fd;
  for (int round = 0; round < kMaxDrainRounds; ++round) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i], kRxBufBytes};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = ctrl[i];
      msgs[i].msg_hdr.msg_controllen = kCtrlBytes;
    }
    const int n = recvmmsg(fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      return;
    }
    for (int i = 0; i < n; ++i) {
      ++rx_totals_.datagrams;
      if (rtcp_socket) {
        onRtcp(stream, bufs[i], static_cast<int>(msgs[i].msg_len), from[i],
               msgs[i].msg_hdr.msg_namelen);
      } else {
        onDatagram(stream, bufs[i], msgs[i].msg_len, msgs[i], from[i]);
      }
    }
    if (static_cast<std::size_t>(n) < kBatch) {
      return;
    }
  }
}

void MediaPeer::onDatagram(uint32_t stream, uint8_t* buf, std::size_t len, const mmsghdr& msg,
                           const sockaddr_storage& from) {
  if (o_.rtcp == RtcpMode::Mux && isRtcp(buf, len)) {
    onRtcp(stream, buf, static_cast<int>(len), from, msg.msg_hdr.msg_namelen);
    return;
  }
  uint64_t rx_ns = 0;
  bool have_tos = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg.msg_hdr); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&msg.msg_hdr), c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      const auto real = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
      rx_ns = static_cast<uint64_t>(real - realtime_offset_ns_);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
      ++rx_totals_.tos[*CMSG_DATA(c)];
      have_tos = true;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
      int tclass = 0;
      std::memcpy(&tclass, CMSG_DATA(c), sizeof(tclass));
      ++rx_totals_.tos[static_cast<uint8_t>(tclass)];
      have_tos = true;
    }
  }
  if (!have_tos) {
    ++rx_totals_.tos_missing;
  }
  if (rx_ns == 0) {
    ++rx_totals_.no_timestamp;
    rx_ns = monoNs();
  }
  onRtp(stream, buf, static_cast<int>(len), rx_ns);
}

void MediaPeer::onRtp(uint32_t stream, uint8_t* buf, int len, uint64_t rx_ns) {
  if (len < 12 || (buf[0] >> 6) != 2) {
    ++rx_totals_.garbage;
    return;
  }
  Stream& s = streams_[stream];
  if (s.rx) {
    switch (s.rx->unprotectRtp(buf, len)) {
      case SrtpStatus::Ok: break;
      case SrtpStatus::AuthFail: ++rx_totals_.auth_failed; return;
      case SrtpStatus::ReplayFail: ++rx_totals_.replay_rejected; return;
      case SrtpStatus::Other: ++rx_totals_.srtp_errors; return;
    }
  }
  std::size_t hdr = 12 + 4 * static_cast<std::size_t>(buf[0] & 0x0f);
  if ((buf[0] & 0x10) != 0 && static_cast<std::size_t>(len) >= hdr + 4) {
    hdr += 4 + 4 * static_cast<std::size_t>(get16(buf + hdr + 2));
  }
  std::size_t end = static_cast<std::size_t>(len);
  if ((buf[0] & 0x20) != 0 && end > hdr) {
    end -= std::min<std::size_t>(buf[end - 1], end - hdr);
  }
  PayloadFields f;
  if (hdr > end || end - hdr != o_.payload_bytes) {
    ++rx_totals_.garbage;
    return;
  }
  switch (checkPayload(buf + hdr, end - hdr, o_.nonce, f)) {
    case PayloadCheck::Ok: break;
    case PayloadCheck::Garbage: ++rx_totals_.garbage; return;
    case PayloadCheck::Stale: ++rx_totals_.stale; return;
  }
  if (f.stream != stream) {
    ++rx_totals_.wrong_stream;
    return;
  }
  if (f.index >= kMaxIndex) {
    ++rx_totals_.garbage;
    return;
  }
  StreamRx& r = rx_[stream];
  const uint32_t ssrc = get32(buf + 8);
  r.last_ssrc = ssrc;
  if (ssrc != r.expected_ssrc) {
    ++rx_totals_.ssrc_mismatch;
  }
  if (get16(buf + 2) != static_cast<uint16_t>(s.seq0 + f.index)) {
    ++rx_totals_.seq_mismatch;
  }
  uint64_t& word = r.seen[f.index / 64];
  const uint64_t bit = 1ull << (f.index % 64);
  if ((word & bit) != 0) {
    ++r.duplicates;
    return;
  }
  word |= bit;
  ++r.received;
  r.bytes += static_cast<uint64_t>(len);
  if (static_cast<int64_t>(f.index) < r.highest) {
    ++r.reordered;
  } else {
    r.highest = f.index;
  }
  const uint64_t delay = rx_ns > f.send_ns ? rx_ns - f.send_ns : 0;
  rx_totals_.delay.add(delay);
  if (delay > static_cast<uint64_t>(o_.late_ms) * 1000000) {
    ++r.late;
  }
  // RFC 3550 A.8, in timestamp units; the arrival clock is the receive timestamp.
  const double arrival = static_cast<double>(rx_ns) * kRtpClockHz / 1e9;
  const double transit = arrival - static_cast<double>(get32(buf + 4) - s.ts0);
  if (r.have_transit) {
    const double d = std::abs(transit - r.last_transit);
    r.jitter_ts += (d - r.jitter_ts) / 16.0;
  }
  r.last_transit = transit;
  r.have_transit = true;
}

void MediaPeer::onRtcp(uint32_t stream, uint8_t* buf, int len, const sockaddr_storage& from,
                       socklen_t from_len) {
  ++rx_totals_.rtcp_received;
  Stream& s = streams_[stream];
  if (s.rx) {
    switch (s.rx->unprotectRtcp(buf, len)) {
      case SrtpStatus::Ok: break;
      case SrtpStatus::AuthFail: ++rx_totals_.rtcp_auth_failed; return;
      default: ++rx_totals_.rtcp_garbage; return;
    }
  }
  RtcpSummary sum;
  if (!parseRtcp(buf, static_cast<std::size_t>(len), sum)) {
    ++rx_totals_.rtcp_garbage;
    return;
  }
  ++rx_[stream].rtcp_received;
  // Only an authenticated, well-formed report may redirect where our reports go.
  if (!o_.remote && from_len <= sizeof(from)) {
    SockAddr src;
    src.storage = from;
    src.len = from_len;
    s.rtcp_source = src;
  }
  rx_totals_.rtcp_sr += sum.sr ? 1 : 0;
  rx_totals_.rtcp_rr += sum.rr ? 1 : 0;
  if (sum.bye) {
    ++rx_totals_.rtcp_bye;
    rx_totals_.bye_ssrc = sum.bye_ssrc;
  }
  if (sum.sr) {
    rx_totals_.sr_ssrc = sum.ssrc;
    rx_[stream].last_sr_mid = static_cast<uint32_t>(sum.sr_ntp >> 16);
    rx_[stream].last_sr_rx_ns = monoNs();
  }
  countRtt(sum);
}

// RFC 3550 section 6.4.1: arrival - LSR - DLSR, in 1/65536 s, for a block quoting our SR.
void MediaPeer::countRtt(const RtcpSummary& sum) {
  if (!sum.has_block || sum.lsr == 0) {
    return;
  }
  const auto now_mid = static_cast<uint32_t>(ntpNow() >> 16);
  const auto units = static_cast<int32_t>(now_mid - sum.lsr - sum.dlsr);
  if (units < 0) {
    return;
  }
  const double ms = units * 1000.0 / 65536.0;
  RxTotals& t = rx_totals_;
  t.rtt_min_ms = t.rtt_samples == 0 ? ms : std::min(t.rtt_min_ms, ms);
  t.rtt_max_ms = std::max(t.rtt_max_ms, ms);
  t.rtt_last_ms = ms;
  ++t.rtt_samples;
}

void MediaPeer::sendHeldRtcp(uint64_t now) {
  while (!held_rtcp_.empty() && held_rtcp_.front().at_ns <= now) {
    const HeldRtcp& h = held_rtcp_.front();
    const ssize_t w = sendto(h.fd, h.bytes.data(), h.bytes.size(), 0, h.to.sa(), h.to.len);
    ++(w < 0 ? tx_totals_.rtcp_dropped : tx_totals_.rtcp);
    held_rtcp_.pop_front();
  }
}

void MediaPeer::run(const volatile std::sig_atomic_t* stop) {
  const uint64_t t0 = monoNs();
  start_ns_ = t0 + static_cast<uint64_t>(o_.start_delay_ms) * 1000000;
  const auto packets_per_stream =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(o_.duration_s * kPacketsPerSecond)));
  total_ = o_.sends() ? packets_per_stream * o_.streams : 0;
  send_end_ns_ = start_ns_ + static_cast<uint64_t>(o_.duration_s * 1e9);
  // The last packets may be held back by up to --jitter-ms; the drain time starts after them.
  end_ns_ = send_end_ns_ + (static_cast<uint64_t>(o_.drain_ms) + o_.jitter_ms) * 1000000;
  next_rtcp_ns_ = start_ns_ + static_cast<uint64_t>(o_.rtcp_interval_ms) * 1000000 / 2;
  fillAhead();
  epoll_event events[64];
  for (;;) {
    const uint64_t now = monoNs();
    if (now >= end_ns_ || *stop != 0) {
      interrupted_ = *stop != 0;
      break;
    }
    realtime_offset_ns_ =
        static_cast<int64_t>(clockNs(CLOCK_REALTIME)) - static_cast<int64_t>(monoNs());
    sendDue(now);
    sendHeldRtcp(now);
    if (o_.rtcp != RtcpMode::Off && now >= next_rtcp_ns_ && now < send_end_ns_) {
      sendRtcp();
      next_rtcp_ns_ += static_cast<uint64_t>(o_.rtcp_interval_ms) * 1000000;
    }
    uint64_t wake = end_ns_;
    if (g_sent_ < g_built_) {
      wake = std::min(wake, sendAtNs(g_sent_));
    }
    if (o_.rtcp != RtcpMode::Off && next_rtcp_ns_ < send_end_ns_) {
      wake = std::min(wake, next_rtcp_ns_);
    }
    if (!held_rtcp_.empty()) {
      wake = std::min(wake, held_rtcp_.front().at_ns);
    }
    const uint64_t wait = wake > monoNs() ? wake - monoNs() : 0;
    timespec ts{static_cast<time_t>(wait / 1000000000ull), static_cast<long>(wait % 1000000000ull)};
    const int n = epoll_pwait2(epoll_fd_, events, 64, &ts, nullptr);
    for (int i = 0; i < n; ++i) {
      drainSocket(static_cast<uint32_t>(events[i].data.u64 >> 1), (events[i].data.u64 & 1) != 0);
    }
  }
  elapsed_s_ = static_cast<double>(monoNs() - t0) / 1e9;
}

RunReport MediaPeer::report() const {
  RunReport r;
  r.options = &o_;
  r.streams = &rx_;
  r.rx = &rx_totals_;
  r.tx = &tx_totals_;
  r.elapsed_s = elapsed_s_;
  r.interrupted = interrupted_;
  return r;
}

}  // namespace rampart::tools
