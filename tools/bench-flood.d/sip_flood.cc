// rampart-sip-flood: a SIP INVITE flood over UDP from several source addresses, for
// tools/bench-flood. The same messages and output as flood_udp.py, but sent in sendmmsg()
// batches from C++, so one core offers several hundred thousand messages a second and the
// generator, not the system under test, is no longer the ceiling.
//
// usage: rampart-sip-flood DST_IP DST_PORT RATE SECS USER SRC_IP...
// Paced in 1 ms slices; prints one JSON line {"sent", "secs", "rate"} at the end. Each message
// has its own Call-ID and branch; the request URI names USER.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kBatch = 64;
constexpr std::size_t kMessageMax = 512;
using Clock = std::chrono::steady_clock;

struct Source {
  int fd = -1;
  std::string ip;
  uint16_t port = 0;
};

struct Args {
  sockaddr_in dst{};
  std::string dst_ip;
  uint16_t dst_port = 0;
  double rate = 0;
  double secs = 0;
  std::string user;
  std::vector<std::string> sources;
};

bool parse(int argc, char** argv, Args* a) {
  if (argc < 7) {
    return false;
  }
  a->dst_ip = argv[1];
  a->dst_port = static_cast<uint16_t>(std::atoi(argv[2]));
  a->rate = std::atof(argv[3]);
  a->secs = std::atof(argv[4]);
  a->user = argv[5];
  for (int i = 6; i < argc; ++i) {
    a->sources.emplace_back(argv[i]);
  }
  a->dst.sin_family = AF_INET;
  a->dst.sin_port = htons(a->dst_port);
  return ::inet_pton(AF_INET, a->dst_ip.c_str(), &a->dst.sin_addr) == 1 && a->rate >= 0 &&
         a->secs > 0;
}

bool open(const std::string& ip, Source* s) {
  s->fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (s->fd < 0 || ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1 ||
      ::bind(s->fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    std::fprintf(stderr, "cannot bind %s: %s\n", ip.c_str(), std::strerror(errno));
    return false;
  }
  socklen_t len = sizeof(sa);
  ::getsockname(s->fd, reinterpret_cast<sockaddr*>(&sa), &len);
  s->ip = ip;
  s->port = ntohs(sa.sin_port);
  return true;
}

std::size_t format(char* out, const Args& a, const Source& s, uint64_t n) {
  int len = std::snprintf(out, kMessageMax,
                          "INVITE sip:%s@%s:%u SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKfl%llu\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: <sip:flood@%s>;tag=f%llu\r\n"
                          "To: <sip:%s@%s>\r\n"
                          "Call-ID: fl%llu@%s\r\n"
                          "CSeq: 1 INVITE\r\n"
                          "Contact: <sip:flood@%s:%u>\r\n"
                          "Content-Length: 0\r\n\r\n",
                          a.user.c_str(), a.dst_ip.c_str(), a.dst_port, s.ip.c_str(), s.port,
                          static_cast<unsigned long long>(n), s.ip.c_str(),
                          static_cast<unsigned long long>(n), a.user.c_str(), a.dst_ip.c_str(),
                          static_cast<unsigned long long>(n), s.ip.c_str(), s.ip.c_str(), s.port);
  return len > 0 ? static_cast<std::size_t>(len) : 0;
}

// Sends up to `want` messages from `s` in one sendmmsg. @return how many the kernel took.
std::size_t sendBatch(const Args& a, const Source& s, std::size_t want, uint64_t* n) {
  static std::array<std::array<char, kMessageMax>, kBatch> bufs;
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  want = std::min(want, kBatch);
  for (std::size_t i = 0; i < want; ++i) {
    iov[i].iov_base = bufs[i].data();
    iov[i].iov_len = format(bufs[i].data(), a, s, *n + i + 1);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = const_cast<sockaddr_in*>(&a.dst);
    msgs[i].msg_hdr.msg_namelen = sizeof(a.dst);
  }
  int r = ::sendmmsg(s.fd, msgs.data(), static_cast<unsigned>(want), 0);
  std::size_t sent = r > 0 ? static_cast<std::size_t>(r) : 0;
  *n += want;  // numbers of unsent messages are skipped, never reused
  return sent;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, &a)) {
    std::fprintf(stderr, "usage: rampart-sip-flood DST_IP DST_PORT RATE SECS USER SRC_IP...\n");
    return 2;
  }
  std::vector<Source> sources(a.sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (!open(a.sources[i], &sources[i])) {
      return 1;
    }
  }
  const auto t0 = Clock::now();
  const auto slice = std::chrono::milliseconds(1);
  uint64_t sent = 0;
  uint64_t n = 0;
  std::size_t next = 0;
  for (auto t = t0; t - t0 < std::chrono::duration<double>(a.secs); t = Clock::now()) {
    double elapsed = std::chrono::duration<double>(t - t0).count() + 0.001;
    auto due = static_cast<uint64_t>(std::min(elapsed, a.secs) * a.rate);
    // Falling behind is not made up in one burst: at most 20 ms worth per slice.
    uint64_t cap = sent + static_cast<uint64_t>(a.rate * 0.02) + 1;
    for (uint64_t target = std::min(due, cap); sent < target;) {
      const Source& s = sources[next++ % sources.size()];
      std::size_t took = sendBatch(a, s, static_cast<std::size_t>(target - sent), &n);
      sent += took;
      if (took == 0) {
        break;  // socket buffer full: this slice sends no more (counted as not sent)
      }
    }
    std::this_thread::sleep_until(t + slice);
  }
  double took = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("{\"sent\": %llu, \"secs\": %.3f, \"rate\": %.1f}\n",
              static_cast<unsigned long long>(sent), took, static_cast<double>(sent) / took);
  return 0;
}
