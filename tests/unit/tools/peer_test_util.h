#pragma once
// Helpers for the tests that run the real rampart-media-peer binary (MEDIA_PEER_BIN).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "media_peer/tool_util.h"

namespace rampart::tools::peer_test {

struct RunResult {
  int exit_code = -1;
  std::string out;
};

inline RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    r.out.append(buf, n);
  }
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A base port with `span` consecutive free UDP ports on 127.0.0.1 (checked by binding them;
// the peer binds them again right after, a tiny window another process would have to hit).
inline uint16_t freePortBase(int span) {
  static std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto base = static_cast<uint16_t>(20000 + (rng() % 20000) * 2);
    std::vector<int> fds;
    bool ok = true;
    for (int i = 0; i < span && ok; ++i) {
      const int fd = socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(base + i));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
      fds.push_back(fd);
    }
    for (int fd : fds) {
      close(fd);
    }
    if (ok) {
      return base;
    }
  }
  return 0;
}

// The number after "key": inside the object that starts at "object":{ ("" = top level).
inline std::optional<double> field(const std::string& json, const std::string& object,
                                   const std::string& key) {
  std::size_t from = 0;
  if (!object.empty()) {
    from = json.find("\"" + object + "\":{");
    if (from == std::string::npos) {
      return std::nullopt;
    }
  }
  const std::size_t at = json.find("\"" + key + "\":", from);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

inline std::string randomKey(std::size_t bytes) {
  std::vector<uint8_t> k(bytes);
  std::random_device rd;
  for (auto& b : k) {
    b = static_cast<uint8_t>(rd());
  }
  return base64Encode(k.data(), k.size());
}

inline std::string peer(const std::string& args) {
  return std::string(MEDIA_PEER_BIN) + " --quiet " + args + " 2>/dev/null";
}

inline std::string addr(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace rampart::tools::peer_test
