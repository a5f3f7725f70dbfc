#include "security/drop_list_sync.h"

#include <cstring>

namespace rampart::cp::security {

DropListSync::DropListSync(FlowSink& dataplane, BanList& bans, prometheus::Registry& registry)
    : dataplane_(dataplane), bans_(bans) {
  auto& family = prometheus::BuildCounter()
                     .Name("rampart_cp_drop_list_commands_total")
                     .Help("Ban list commands sent to dataplane workers, by result")
                     .Register(registry);
  ok_ = &family.Add({{"result", "ok"}});
  full_ = &family.Add({{"result", "full"}});
  failed_ = &family.Add({{"result", "failed"}});
}

void DropListSync::onBanAdded(const Ban& ban) { send(abi::MsgType::BanAdd, &ban.address); }

void DropListSync::onBanRemoved(const Ban& ban, const char*) {
  send(abi::MsgType::BanDel, &ban.address);
}

void DropListSync::resync() {
  send(abi::MsgType::BanClear, nullptr);
  for (const Ban& b : bans_.list()) {
    send(abi::MsgType::BanAdd, &b.address);
  }
}

void DropListSync::send(abi::MsgType type, const AddressKey* address) {
  if (!dataplane_.ready()) {
    return;  // resync() sends the whole list when it attaches
  }
  abi::BanMsg m{};
  m.hdr.type = type;
  m.hdr.size = sizeof(m);
  if (address != nullptr) {
    boost::asio::ip::address a = address->address();
    if (a.is_v4()) {
      m.family = 4;
      auto b = a.to_v4().to_bytes();
      std::memcpy(m.addr, b.data(), 4);
    } else {
      m.family = 6;
      std::memcpy(m.addr, address->bytes.data(), 16);
    }
  }
  for (uint32_t w = 0; w < dataplane_.workers(); ++w) {
    auto submitted = dataplane_.submit(w, m.hdr, [this](Result<abi::Ack> ack) {
      if (!ack) {
        failed_->Increment();
      } else if (ack->status == abi::kErrNoSpace) {
        full_->Increment();
      } else {
        ok_->Increment();  // kErrNoEnt on BanDel (a worker that restarted) is fine too
      }
    });
    if (!submitted) {
      failed_->Increment();
    }
  }
}

}  // namespace rampart::cp::security
