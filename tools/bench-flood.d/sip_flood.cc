// rampart-sip-flood: a SIP INVITE flood over UDP from several source addresses, for
// tools/bench-flood. The same messages and output as flood_udp.py, but sent in sendmmsg()
// batches from C++, so one core offers several hundred thousand messages a second and the
// generator, not the system under test, is no longer the ceiling.
//
// usage: rampart-sip-flood DST_IP DST_PORT RATE SECS USER SRC_IP...
// Paced in 1 ms slices; prints one JSON line {"sent", "secs", "rate"} at the end. Each message
// has its own Call-ID and branch (a 12-digit number); the request URI names USER.
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

// A source's message with the message number as a fixed-width field at each place it occurs
// (branch, tag, Call-ID): each message is a copy with the digits written in, no formatting.
struct Source {
  int fd = -1;
  std::string ip;
  uint16_t port = 0;
  std::string text;
  std::vector<std::size_t> number_at;
};

constexpr std::size_t kDigits = 12;
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

// A socket bound to `ip` and connected to the target, so each send skips the route lookup.
bool open(const Args& a, const std::string& ip, Source* s) {
  s->fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (s->fd < 0 || ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1 ||
      ::bind(s->fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      ::connect(s->fd, reinterpret_cast<const sockaddr*>(&a.dst), sizeof(a.dst)) != 0) {
    std::fprintf(stderr, "cannot bind %s: %s\n", ip.c_str(), std::strerror(errno));
    return false;
  }
  socklen_t len = sizeof(sa);
  ::getsockname(s->fd, reinterpret_cast<sockaddr*>(&sa), &len);
  s->ip = ip;
  s->port = ntohs(sa.sin_port);
  return true;
}

// The message with '#' runs standing for the number; their offsets are remembered.
void render(const Args& a, Source* s) {
  const std::string n(kDigits, '#');
  const std::string port = std::to_string(s->port);
  s->text = "INVITE sip:" + a.user + "@" + a.dst_ip + ":" + std::to_string(a.dst_port) +
            " SIP/2.0\r\n"
            "Via: SIP/2.0/UDP " +
            s->ip + ":" + port + ";branch=z9hG4bKfl" + n +
            "\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:flood@" +
            s->ip + ">;tag=f" + n +
            "\r\n"
            "To: <sip:" +
            a.user + "@" + a.dst_ip +
            ">\r\n"
            "Call-ID: fl" +
            n + "@" + s->ip +
            "\r\n"
            "CSeq: 1 INVITE\r\n"
            "Contact: <sip:flood@" +
            s->ip + ":" + port +
            ">\r\n"
            "Content-Length: 0\r\n\r\n";
  for (std::size_t at = s->text.find(n); at != std::string::npos; at = s->text.find(n, at + 1)) {
    s->number_at.push_back(at);
  }
}

void number(char* msg, const Source& s, uint64_t n) {
  std::array<char, kDigits> digits;
  for (std::size_t i = kDigits; i-- > 0; n /= 10) {
    digits[i] = static_cast<char>('0' + n % 10);
  }
  for (std::size_t at : s.number_at) {
    std::memcpy(msg + at, digits.data(), kDigits);
  }
}

// Sends up to `want` messages from `s` in one sendmmsg. @return how many the kernel took.
std::size_t sendBatch(const Source& s, std::size_t want, uint64_t* n) {
  static std::array<std::array<char, kMessageMax>, kBatch> bufs;
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  want = std::min(want, kBatch);
  for (std::size_t i = 0; i < want; ++i) {
    std::memcpy(bufs[i].data(), s.text.data(), s.text.size());
    number(bufs[i].data(), s, *n + i + 1);
    iov[i].iov_base = bufs[i].data();
    iov[i].iov_len = s.text.size();
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
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
    if (!open(a, a.sources[i], &sources[i])) {
      return 1;
    }
    render(a, &sources[i]);
    if (sources[i].text.size() > kMessageMax) {
      std::fprintf(stderr, "message too long\n");
      return 2;
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
      std::size_t took = sendBatch(s, static_cast<std::size_t>(target - sent), &n);
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
