#include <rampart/platform/dp_client.h>

#include <unistd.h>

#include <cstring>
#include <ctime>

namespace rampart::platform {
namespace {

void shortPause() {
  // The dataplane answers within microseconds when it is polling and within its idle
  // back-off otherwise; 50 us keeps the control plane from spinning a core while waiting.
  timespec ts{0, 50 * 1000};
  nanosleep(&ts, nullptr);
}

std::string statusText(int32_t status) {
  switch (status) {
    case abi::kOk: return "ok";
    case abi::kErrProto: return "incompatible protocol";
    case abi::kErrMsgSize: return "message too short";
    case abi::kErrInval: return "invalid argument";
    case abi::kErrNoSpace: return "flow table full";
    case abi::kErrNoEnt: return "no such flow";
    case abi::kErrExist: return "flow exists";
    case abi::kErrNotSup: return "not supported";
    default: return "error " + std::to_string(status);
  }
}

}  // namespace

Result<DataplaneClient> DataplaneClient::connect(const std::string& shm_name,
                                                 uint32_t timeout_ms) {
  auto region = ShmRegion::attach(shm_name, /*exclusive=*/true);
  if (!region) {
    return region.error();
  }
  DataplaneClient c;
  c.region_ = std::move(region.value());
  for (uint32_t w = 0; w < c.region_.workers(); ++w) {
    c.cmd_.emplace_back(c.region_.ring(w, RingKind::Command));
    c.evt_.emplace_back(c.region_.ring(w, RingKind::Event));
    c.inject_.emplace_back(c.region_.ring(w, RingKind::Inject));
    c.punt_.emplace_back(c.region_.ring(w, RingKind::Punt));
  }
  // Events left over from a previous control plane answer commands we never sent; a new
  // session starts from an empty event ring.
  for (auto& evt : c.evt_) {
    evt.release(evt.available(~0u));
  }
  c.next_seq_ = static_cast<uint32_t>(getpid()) << 8;
  for (uint32_t w = 0; w < c.region_.workers(); ++w) {
    abi::Hello hello = abi::makeHello(c.next_seq_++, static_cast<uint32_t>(getpid()),
                                      c.region_.epoch());
    if (!c.cmd_[w].enqueue(&hello, sizeof(hello))) {
      return Error{"dataplane worker " + std::to_string(w) + ": command ring full"};
    }
    auto ack = c.waitFor(w, abi::MsgType::HelloAck, hello.hdr.seq, timeout_ms);
    if (!ack) {
      return Error{"dataplane worker " + std::to_string(w) +
                   " did not answer the handshake: " + ack.error().message};
    }
    abi::HelloAck reply;
    std::memcpy(&reply, ack->bytes, sizeof(reply));
    reply.reason[sizeof(reply.reason) - 1] = '\0';
    if (reply.status != abi::kOk) {
      return Error{"dataplane refused the handshake (" + statusText(reply.status) +
                   "): " + reply.reason};
    }
    c.flows_at_handshake_.push_back(reply.flows_live);
  }
  return c;
}

bool DataplaneClient::dataplaneRestarted() const {
  return ShmRegion::currentEpoch(region_.name()) != region_.epoch();
}

void DataplaneClient::pollWorker(uint32_t worker) {
  RingConsumer& evt = evt_[worker];
  uint32_t n = evt.available(64);
  for (uint32_t i = 0; i < n; ++i) {
    EventSlot slot;
    slot.worker = worker;
    std::memcpy(slot.bytes, evt.slot(i), sizeof(slot.bytes));
    // Keep the pending queue bounded: a control plane that never drains events must not
    // grow without limit.
    if (pending_.size() >= 65536) {
      pending_.pop_front();
    }
    pending_.push_back(slot);
  }
  if (n > 0) {
    evt.release(n);
  }
}

Result<EventSlot> DataplaneClient::waitFor(uint32_t worker, abi::MsgType type, uint32_t seq,
                                           uint32_t timeout_ms) {
  uint64_t deadline = monotonicNs() + static_cast<uint64_t>(timeout_ms) * 1000000ull;
  std::size_t scanned = 0;
  while (true) {
    pollWorker(worker);
    for (auto it = pending_.begin() + static_cast<std::ptrdiff_t>(scanned); it != pending_.end();
         ++it) {
      if (it->worker == worker && it->header().type == type && it->header().seq == seq) {
        EventSlot found = *it;
        pending_.erase(it);
        return found;
      }
    }
    scanned = pending_.size();
    if (monotonicNs() >= deadline) {
      return Error{"timed out after " + std::to_string(timeout_ms) + " ms"};
    }
    shortPause();
  }
}

Result<abi::Ack> DataplaneClient::call(uint32_t worker, abi::MsgHeader& msg,
                                       uint32_t timeout_ms) {
  if (worker >= workers()) {
    return Error{"no dataplane worker " + std::to_string(worker)};
  }
  msg.seq = next_seq_++;
  if (!cmd_[worker].enqueue(&msg, msg.size)) {
    return Error{"dataplane worker " + std::to_string(worker) + ": command ring full"};
  }
  auto slot = waitFor(worker, abi::MsgType::Ack, msg.seq, timeout_ms);
  if (!slot) {
    return Error{"no Ack from dataplane worker " + std::to_string(worker) + ": " +
                 slot.error().message};
  }
  abi::Ack ack;
  std::memcpy(&ack, slot->bytes, sizeof(ack));
  return ack;
}

Result<abi::FlowInfo> DataplaneClient::query(uint32_t worker, uint64_t flow,
                                             uint32_t timeout_ms) {
  abi::FlowQuery q{};
  q.hdr.type = abi::MsgType::FlowQuery;
  q.hdr.size = sizeof(q);
  q.hdr.flow = flow;
  auto ack = call(worker, q.hdr, timeout_ms);
  if (!ack) {
    return ack.error();
  }
  if (ack->status != abi::kOk) {
    return Error{"query failed: " + statusText(ack->status)};
  }
  // The dataplane sends FlowInfo before the Ack, so it is already pending.
  auto info = waitFor(worker, abi::MsgType::FlowInfo, q.hdr.seq, timeout_ms);
  if (!info) {
    return info.error();
  }
  abi::FlowInfo out;
  std::memcpy(&out, info->bytes, sizeof(out));
  return out;
}

Result<std::vector<abi::FlowInfo>> DataplaneClient::dump(uint32_t worker, uint32_t timeout_ms) {
  abi::FlowDump d{};
  d.hdr.type = abi::MsgType::FlowDump;
  d.hdr.size = sizeof(d);
  if (worker >= workers()) {
    return Error{"no dataplane worker " + std::to_string(worker)};
  }
  d.hdr.seq = next_seq_++;
  if (!cmd_[worker].enqueue(&d, sizeof(d))) {
    return Error{"dataplane worker " + std::to_string(worker) + ": command ring full"};
  }
  std::vector<abi::FlowInfo> flows;
  uint64_t deadline = monotonicNs() + static_cast<uint64_t>(timeout_ms) * 1000000ull;
  while (true) {
    pollWorker(worker);
    for (auto it = pending_.begin(); it != pending_.end();) {
      const abi::MsgHeader& h = it->header();
      if (it->worker == worker && h.seq == d.hdr.seq) {
        if (h.type == abi::MsgType::FlowInfo) {
          abi::FlowInfo info;
          std::memcpy(&info, it->bytes, sizeof(info));
          flows.push_back(info);
        } else if (h.type == abi::MsgType::FlowDumpEnd) {
          pending_.erase(it);
          return flows;
        }
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    if (monotonicNs() >= deadline) {
      return Error{"flow dump from worker " + std::to_string(worker) + " timed out"};
    }
    shortPause();
  }
}

std::vector<EventSlot> DataplaneClient::takeEvents() {
  for (uint32_t w = 0; w < workers(); ++w) {
    pollWorker(w);
  }
  std::vector<EventSlot> out(pending_.begin(), pending_.end());
  pending_.clear();
  return out;
}

bool DataplaneClient::inject(uint32_t worker, const abi::PacketSlot& meta,
                             const uint8_t* payload) {
  if (worker >= workers() || meta.len > abi::kMaxPacket) {
    return false;
  }
  RingProducer& ring = inject_[worker];
  if (ring.freeSlots(1) == 0) {
    ring.noteFull();
    return false;
  }
  auto* dst = static_cast<uint8_t*>(ring.slot(0));
  std::memcpy(dst, &meta, sizeof(meta));
  std::memcpy(dst + sizeof(meta), payload, meta.len);
  ring.publish(1);
  return true;
}

uint32_t DataplaneClient::takePunted(uint32_t worker, uint8_t* out, uint32_t max) {
  if (worker >= workers()) {
    return 0;
  }
  RingConsumer& ring = punt_[worker];
  uint32_t n = ring.available(max);
  n = n < max ? n : max;
  for (uint32_t i = 0; i < n; ++i) {
    std::memcpy(out + static_cast<std::size_t>(i) * abi::kPacketSlotSize, ring.slot(i),
                abi::kPacketSlotSize);
  }
  if (n > 0) {
    ring.release(n);
  }
  return n;
}

}  // namespace rampart::platform
