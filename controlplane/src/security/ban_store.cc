#include "security/ban_store.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <rampart/platform/log.h>

namespace rampart::cp::security {

std::size_t BanStore::load(int64_t now_unix_s) {
  std::ifstream in(path_);
  if (!in) {
    return 0;  // no file yet: no bans
  }
  std::size_t bad = 0;
  std::size_t loaded = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::istringstream fields(line);
    std::string address;
    int64_t expires = 0;
    std::string reason;
    fields >> address >> expires >> reason;
    boost::system::error_code ec;
    auto ip = boost::asio::ip::make_address(address, ec);
    if (ec || fields.fail() || reason.empty()) {
      ++bad;
      continue;
    }
    if (expires > now_unix_s && bans_.add(AddressKey::of(ip), expires, reason)) {
      ++loaded;
    }
  }
  RAMPART_LOG(platform::LogLevel::Info, "security", "%zu bans restored from %s (%zu bad lines)",
              loaded, path_.c_str(), bad);
  dirty_ = bad != 0;  // rewrite without the bad lines
  return bad;
}

bool BanStore::flush() {
  if (!dirty_) {
    return true;
  }
  std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# rampart bans: address expires_unix_s reason\n";
    for (const Ban& b : bans_.list()) {
      out << b.address.str() << ' ' << b.expires_unix_s << ' ' << b.reason << '\n';
    }
    out.flush();
    if (!out) {
      RAMPART_LOG_RATELIMITED(platform::LogLevel::Warn, "security", 1, "cannot write %s",
                              tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    RAMPART_LOG_RATELIMITED(platform::LogLevel::Warn, "security", 1, "cannot rename %s to %s",
                            tmp.c_str(), path_.c_str());
    return false;
  }
  dirty_ = false;
  return true;
}

}  // namespace rampart::cp::security
