// The kernel ban filter on real sockets: loopback datagrams from many 127.0.0.0/8 sources (all
// local on Linux) reach a filtered socket exactly when their source is not banned, the kernel
// counts the rest, and the program stays within the kernel's limits at capacity.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "security/kernel_ban_filter.h"

namespace rampart::cp::security {
namespace {

AddressKey addr(const std::string& text) {
  return AddressKey::of(boost::asio::ip::make_address(text));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A UDP socket bound to `ip` (port chosen by the kernel).
Fd bound(const std::string& ip) {
  boost::asio::ip::address a = boost::asio::ip::make_address(ip);
  if (a.is_v4()) {
    Fd fd(::socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0) << ip;
    return fd;
  }
  Fd fd(::socket(AF_INET6, SOCK_DGRAM, 0));
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, ip.c_str(), &sa.sin6_addr);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0) << ip;
  return fd;
}

// Sends one datagram from `src` to the socket `to` and says whether it arrived (loopback
// delivers in the sender's call, so a non-blocking read right after sees it).
bool arrives(const std::string& src, int to) {
  sockaddr_storage dst{};
  socklen_t len = sizeof(dst);
  ::getsockname(to, reinterpret_cast<sockaddr*>(&dst), &len);
  Fd s = bound(src);
  const char msg[] = "OPTIONS";
  EXPECT_EQ(::sendto(s.get(), msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&dst), len),
            static_cast<ssize_t>(sizeof(msg)));
  char buf[64];
  return ::recv(to, buf, sizeof(buf), MSG_DONTWAIT) > 0;
}

std::string loopback(uint32_t n) {  // 127.x.y.z, never 127.0.0.1 (the receiver)
  n = 2 + n % 0xfffffd;
  return "127." + std::to_string((n >> 16) & 0xff) + "." + std::to_string((n >> 8) & 0xff) + "." +
         std::to_string(n & 0xff);
}

TEST(KernelBanFilter, DropsExactlyTheBannedIpv4Sources) {
  std::mt19937 rng(7);
  std::set<std::string> seen;
  std::vector<std::string> banned;
  std::vector<std::string> free;
  while (banned.size() < 600 || free.size() < 600) {
    std::string a = loopback(rng());
    if (seen.insert(a).second) {
      (banned.size() < 600 ? banned : free).push_back(a);
    }
  }
  std::vector<AddressKey> keys;
  for (const std::string& a : banned) {
    keys.push_back(addr(a));
  }
  BanFilterProgram p = compileBanFilter(keys);
  EXPECT_EQ(p.covered, 600u);
  Fd rx = bound("127.0.0.1");
  ASSERT_TRUE(attachBanFilter(rx.get(), p));
  int through = 0;
  for (const std::string& a : banned) {
    through += arrives(a, rx.get()) ? 1 : 0;
  }
  EXPECT_EQ(through, 0);
  for (const std::string& a : free) {
    EXPECT_TRUE(arrives(a, rx.get())) << a;
  }
  EXPECT_EQ(socketDrops(rx.get()), 600u);
}

TEST(KernelBanFilter, AtCapacityTheFirstBansFitAndTheKernelTakesIt) {
  std::vector<AddressKey> keys;
  for (uint32_t i = 0; i < 2000; ++i) {
    keys.push_back(addr(loopback(1000 + i)));
  }
  keys.push_back(addr("2001:db8::1"));
  BanFilterProgram p = compileBanFilter(keys);
  EXPECT_LE(p.code.size(), static_cast<std::size_t>(BPF_MAXINSNS));
  EXPECT_GT(p.covered, 700u);
  EXPECT_LT(p.covered, 2001u);
  Fd rx = bound("127.0.0.1");
  ASSERT_TRUE(attachBanFilter(rx.get(), p));
  EXPECT_FALSE(arrives(loopback(1000), rx.get()));  // first in order: in the program
  EXPECT_TRUE(arrives(loopback(2999), rx.get()));   // last: did not fit
}

TEST(KernelBanFilter, Ipv6SourcesAndDetaching) {
  Fd rx = bound("::1");
  std::vector<AddressKey> others{addr("2001:db8::1"), addr("::2"), addr("198.18.0.1")};
  ASSERT_TRUE(attachBanFilter(rx.get(), compileBanFilter(others)));
  EXPECT_TRUE(arrives("::1", rx.get()));
  std::vector<AddressKey> with_loopback = others;
  with_loopback.push_back(addr("::1"));
  ASSERT_TRUE(attachBanFilter(rx.get(), compileBanFilter(with_loopback)));
  EXPECT_FALSE(arrives("::1", rx.get()));
  EXPECT_EQ(socketDrops(rx.get()), 1u);
  ASSERT_TRUE(attachBanFilter(rx.get(), compileBanFilter({})));  // no bans: no filter
  EXPECT_TRUE(arrives("::1", rx.get()));
  ASSERT_TRUE(attachBanFilter(rx.get(), compileBanFilter({})));  // detaching twice is fine
}

}  // namespace
}  // namespace rampart::cp::security
