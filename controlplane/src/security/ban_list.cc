#include "security/ban_list.h"

namespace rampart::cp::security {

bool BanList::add(const AddressKey& a, int64_t expires_unix_s, std::string reason) {
  auto it = bans_.find(a);
  if (it != bans_.end()) {
    if (expires_unix_s <= it->second.expires_unix_s) {
      return true;
    }
    it->second.expires_unix_s = expires_unix_s;
    it->second.reason = std::move(reason);
  } else {
    if (bans_.size() >= cap_) {
      return false;
    }
    it = bans_.emplace(a, Ban{a, expires_unix_s, std::move(reason)}).first;
  }
  for (Listener* l : listeners_) {
    l->onBanAdded(it->second);
  }
  return true;
}

bool BanList::remove(const AddressKey& a) {
  auto it = bans_.find(a);
  if (it == bans_.end()) {
    return false;
  }
  Ban ban = std::move(it->second);
  bans_.erase(it);
  for (Listener* l : listeners_) {
    l->onBanRemoved(ban, "removed");
  }
  return true;
}

std::size_t BanList::expire(int64_t now_unix_s) {
  std::vector<Ban> gone;
  for (const auto& [a, ban] : bans_) {
    if (ban.expires_unix_s <= now_unix_s) {
      gone.push_back(ban);
    }
  }
  for (const Ban& ban : gone) {
    bans_.erase(ban.address);
    for (Listener* l : listeners_) {
      l->onBanRemoved(ban, "expired");
    }
  }
  return gone.size();
}

std::vector<Ban> BanList::list() const {
  std::vector<Ban> out;
  out.reserve(bans_.size());
  for (const auto& [a, ban] : bans_) {
    out.push_back(ban);
  }
  return out;
}

}  // namespace rampart::cp::security
