#pragma once
// Banned source addresses with their expiry (wall-clock seconds, so a ban can be written to a
// file and read back after a restart, and shown to operators as a time). Listeners hear every
// change: the dataplane drop list and the state file follow the list through them.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "security/address_key.h"

namespace rampart::cp::security {

struct Ban {
  AddressKey address;
  int64_t expires_unix_s = 0;
  std::string reason;  // rate | auth | jwt | manual
};

class BanList {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void onBanAdded(const Ban& ban) = 0;
    virtual void onBanRemoved(const Ban& ban, const char* why) = 0;  // why: expired | removed
  };

  explicit BanList(std::size_t cap) : cap_(cap) {}
  void addListener(Listener* l) { listeners_.push_back(l); }

  bool contains(const AddressKey& a, int64_t now_unix_s) const {
    auto it = bans_.find(a);
    return it != bans_.end() && it->second.expires_unix_s > now_unix_s;
  }
  /// Bans `a` until `expires_unix_s` (a later expiry extends an existing ban). @return false
  /// when the list is full (the ban is not added).
  bool add(const AddressKey& a, int64_t expires_unix_s, std::string reason);
  /// @return false when `a` was not banned.
  bool remove(const AddressKey& a);
  /// Lifts every ban whose time has come. @return how many.
  std::size_t expire(int64_t now_unix_s);

  std::vector<Ban> list() const;
  std::size_t size() const { return bans_.size(); }

 private:
  std::size_t cap_;
  std::unordered_map<AddressKey, Ban, AddressKeyHash> bans_;
  std::vector<Listener*> listeners_;
};

}  // namespace rampart::cp::security
