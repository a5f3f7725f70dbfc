#pragma once
// Keeps every dataplane worker's source drop list equal to the ban list: BanAdd/BanDel as bans
// come and go, BanClear and the whole list again whenever the dataplane (re)attaches. A banned
// source's media then dies on arrival in the dataplane, before any flow lookup or crypto.
//   rampart_cp_drop_list_commands_total{result}   ok | full (worker list full) | failed
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "media/flow_sink.h"
#include "security/ban_list.h"

namespace rampart::cp::security {

class DropListSync : public BanList::Listener {
 public:
  DropListSync(FlowSink& dataplane, BanList& bans, prometheus::Registry& registry);

  void onBanAdded(const Ban& ban) override;
  void onBanRemoved(const Ban& ban, const char* why) override;
  /// The dataplane attached (first time or after a restart): every worker gets the list anew.
  void resync();

 private:
  void send(abi::MsgType type, const AddressKey* address);

  FlowSink& dataplane_;
  BanList& bans_;
  prometheus::Counter* ok_;
  prometheus::Counter* full_;
  prometheus::Counter* failed_;
};

}  // namespace rampart::cp::security
