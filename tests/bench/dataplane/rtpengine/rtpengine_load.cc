// SRTP load for the rtpengine comparison: per call two streams (A->B, B->A), 172-byte PCMU RTP
// every 20 ms, phased evenly, SRTP-protected on the fly with the sender's key; every received
// packet is authenticated and decrypted with the key rtpengine announced (proving it
// re-encrypted). Reports relayed packets/s, loss, and rtpengine's CPU time over the measured
// window (utime+stime of all its threads), hence packets/s per core.
//
// usage: rtpengine_load --plan FILE --pid PID [--duration S] [--warmup S]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <srtp2/srtp.h>

namespace {

uint64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::vector<uint8_t> unhex(const std::string& s) {
  std::vector<uint8_t> v;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    v.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  }
  return v;
}

srtp_t session(int suite, const std::vector<uint8_t>& key, bool inbound) {
  srtp_policy_t p;
  std::memset(&p, 0, sizeof(p));
  if (suite == 1) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
  }
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  std::vector<uint8_t> k = key;
  k.resize(46);
  p.key = k.data();
  p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  p.window_size = 1024;
  srtp_t s = nullptr;
  if (srtp_create(&s, &p) != srtp_err_status_ok) {
    std::fprintf(stderr, "srtp_create failed\n");
    std::exit(1);
  }
  return s;
}

struct Stream {
  int fd;
  srtp_t tx;
  srtp_t rx;  // inbound for packets arriving on this socket
  uint32_t ssrc;
  uint16_t seq;
  uint64_t next_ns;
  uint64_t sent_measured;
  uint64_t recv_measured;
};

int udpSocket(int local_port, int remote_port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(local_port));
  int buf = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    std::perror("bind");
    std::exit(1);
  }
  a.sin_port = htons(static_cast<uint16_t>(remote_port));
  connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  return fd;
}

uint64_t cpuTicks(int pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) {
    return 0;
  }
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) {
    return 0;
  }
  // Fields after the command: 3 state ... 14 utime, 15 stime.
  unsigned long long ut = 0;
  unsigned long long st = 0;
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
    return 0;
  }
  return ut + st;
}

}  // namespace

int main(int argc, char** argv) {
  std::string plan;
  int pid = 0;
  double duration = 5;
  double warmup = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--plan")
      plan = argv[i + 1];
    else if (a == "--pid")
      pid = std::atoi(argv[i + 1]);
    else if (a == "--duration")
      duration = std::atof(argv[i + 1]);
    else if (a == "--warmup")
      warmup = std::atof(argv[i + 1]);
  }
  srtp_init();
  std::vector<Stream> streams;
  std::ifstream in(plan);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    int ap, rpa, as, rs, bp, rpb, bs, brs;
    std::string ak, ark, bk, brk;
    l >> ap >> rpa >> as >> ak >> rs >> ark >> bp >> rpb >> bs >> bk >> brs >> brk;
    // Socket A sends with A's key and receives what rtpengine re-encrypted toward A.
    streams.push_back({udpSocket(ap, rpa), session(as, unhex(ak), false),
                       session(rs, unhex(ark), true), static_cast<uint32_t>(streams.size() + 1), 1,
                       0, 0, 0});
    streams.push_back({udpSocket(bp, rpb), session(bs, unhex(bk), false),
                       session(brs, unhex(brk), true), static_cast<uint32_t>(streams.size() + 1), 1,
                       0, 0, 0});
  }
  if (streams.empty()) {
    std::fprintf(stderr, "empty plan\n");
    return 1;
  }
  int ep = epoll_create1(0);
  for (size_t i = 0; i < streams.size(); ++i) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, streams[i].fd, &e);
  }
  const uint64_t period = 20000000;  // 20 ms
  uint64_t t0 = nowNs() + 100000000;
  for (size_t i = 0; i < streams.size(); ++i) {
    streams[i].next_ns = t0 + period * i / streams.size();
  }
  uint64_t measure_from = t0 + static_cast<uint64_t>(warmup * 1e9);
  uint64_t send_until = measure_from + static_cast<uint64_t>(duration * 1e9);
  uint64_t ticks0 = 0;
  bool measuring = false;
  uint64_t max_lag = 0;
  uint64_t auth_fail = 0;
  uint64_t received_total = 0;
  // Packets are tagged "measured" by send time; a receiver knows it by the seq range.
  std::vector<uint16_t> first_measured_seq(streams.size(), 0xffff);
  uint8_t buf[2048];
  uint64_t end = send_until + 500000000;
  while (true) {
    uint64_t now = nowNs();
    if (!measuring && now >= measure_from) {
      measuring = true;
      ticks0 = cpuTicks(pid);
    }
    if (now >= end) {
      break;
    }
    if (now < send_until) {
      for (size_t i = 0; i < streams.size(); ++i) {
        Stream& s = streams[i];
        while (s.next_ns <= now && s.next_ns < send_until) {
          if (now - s.next_ns > max_lag && s.next_ns >= measure_from) {
            max_lag = now - s.next_ns;
          }
          uint8_t p[256] = {0x80, 0};
          p[2] = static_cast<uint8_t>(s.seq >> 8);
          p[3] = static_cast<uint8_t>(s.seq);
          uint32_t ts = s.seq * 160u;
          for (int k = 0; k < 4; ++k) {
            p[4 + k] = static_cast<uint8_t>(ts >> (24 - 8 * k));
            p[8 + k] = static_cast<uint8_t>(s.ssrc >> (24 - 8 * k));
          }
          std::memset(p + 12, 0xd5, 160);
          int len = 172;
          srtp_protect(s.tx, p, &len);
          send(s.fd, p, static_cast<size_t>(len), 0);
          if (s.next_ns >= measure_from) {
            if (first_measured_seq[i] == 0xffff)
              first_measured_seq[i] = s.seq;
            s.sent_measured++;
          }
          s.seq++;
          s.next_ns += period;
        }
      }
    }
    epoll_event ev[256];
    int n = epoll_wait(ep, ev, 256, 0);
    for (int k = 0; k < n; ++k) {
      size_t i = ev[k].data.u64;
      Stream& s = streams[i];
      while (true) {
        ssize_t r = recv(s.fd, buf, sizeof(buf), 0);
        if (r <= 0)
          break;
        int len = static_cast<int>(r);
        if (srtp_unprotect(s.rx, buf, &len) != srtp_err_status_ok || len != 172) {
          auth_fail++;
          continue;
        }
        received_total++;
        // The packet came from the peer stream (i ^ 1); measured if its seq is in range.
        uint16_t seq = static_cast<uint16_t>((buf[2] << 8) | buf[3]);
        uint16_t first = first_measured_seq[i ^ 1];
        if (first != 0xffff && static_cast<uint16_t>(seq - first) < 0x8000) {
          s.recv_measured++;
        }
      }
    }
    if (measuring && now >= send_until && ticks0 != 0) {
      // CPU window closes with the send window (the drain only collects stragglers).
      static uint64_t ticks1 = 0;
      if (ticks1 == 0) {
        ticks1 = cpuTicks(pid);
        ticks0 = ticks1 - ticks0;
      }
    }
  }
  uint64_t sent = 0;
  uint64_t recv = 0;
  for (const Stream& s : streams) {
    sent += s.sent_measured;
    recv += s.recv_measured;
  }
  double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  double cpu = static_cast<double>(ticks0) / hz / duration;
  double relayed = static_cast<double>(recv) / duration;
  double loss = sent > 0 ? 100.0 * static_cast<double>(sent - std::min(sent, recv)) /
                               static_cast<double>(sent)
                         : 0;
  std::printf(
      "calls=%zu offered_pps=%.0f relayed_pps=%.0f loss_pct=%.3f rtpengine_cpu=%.3f "
      "pps_per_core=%.0f max_lag_ms=%.1f auth_fail=%llu\n",
      streams.size() / 2, static_cast<double>(sent) / duration, relayed, loss, cpu,
      cpu > 0 ? relayed / cpu : 0, static_cast<double>(max_lag) / 1e6,
      static_cast<unsigned long long>(auth_fail));
  return 0;
}
