#include <rampart/platform/dp_client.h>

#include <unistd.h>

#include <ctime>

namespace rampart::platform {
namespace {

// Blocking helpers only: the dataplane answers within microseconds when it is polling and
// within its idle back-off otherwise; 50 us keeps a waiting tool from spinning a core.
void shortPause() {
  timespec ts{0, 50L * 1000};
  nanosleep(&ts, nullptr);
}

uint64_t deadlineAfter(uint32_t timeout_ms) {
  return monotonicNs() + static_cast<uint64_t>(timeout_ms) * 1000000ull;
}

std::string workerText(uint32_t worker) { return "dataplane worker " + std::to_string(worker); }

// Answers to commands (as opposed to unsolicited events).
bool isAnswer(abi::MsgType t) {
  return t == abi::MsgType::Ack || t == abi::MsgType::HelloAck || t == abi::MsgType::FlowInfo ||
         t == abi::MsgType::FlowDumpEnd;
}

}  // namespace

ErrorCode statusErrorCode(int32_t status) {
  switch (status) {
    case abi::kOk: return ErrorCode::Internal;  // not an error; callers check first
    case abi::kErrProto:
    case abi::kErrMsgSize: return ErrorCode::Unsupported;
    case abi::kErrInval: return ErrorCode::InvalidArgument;
    case abi::kErrNoSpace:
    case abi::kErrNeighFull: return ErrorCode::Overloaded;
    case abi::kErrBusy: return ErrorCode::Unavailable;
    case abi::kErrNoEnt: return ErrorCode::NotFound;
    case abi::kErrExist: return ErrorCode::AlreadyExists;
    case abi::kErrNotSup: return ErrorCode::Unsupported;
    default: return ErrorCode::Internal;
  }
}

std::string statusText(int32_t status) {
  switch (status) {
    case abi::kOk: return "ok";
    case abi::kErrProto: return "incompatible protocol";
    case abi::kErrMsgSize: return "message too short";
    case abi::kErrInval: return "invalid argument";
    case abi::kErrNoSpace: return "flow table full";
    case abi::kErrNeighFull: return "neighbour table full";
    case abi::kErrBusy: return "transcoder ring full or no transcoder region";
    case abi::kErrNoEnt: return "no such flow";
    case abi::kErrExist: return "flow exists";
    case abi::kErrNotSup: return "not supported";
    default: return "error " + std::to_string(status);
  }
}

Result<DataplaneClient> DataplaneClient::attach(const std::string& shm_name) {
  auto region = ShmRegion::attach(shm_name, /*exclusive=*/true);
  if (!region) {
    return region.error();
  }
  DataplaneClient c;
  c.region_ = std::move(region.value());
  const uint32_t n = c.region_.workers();
  for (uint32_t w = 0; w < n; ++w) {
    c.cmd_.emplace_back(c.region_.ring(w, RingKind::Command));
    c.evt_.emplace_back(c.region_.ring(w, RingKind::Event));
    c.inject_.emplace_back(c.region_.ring(w, RingKind::Inject));
    c.punt_.emplace_back(c.region_.ring(w, RingKind::Punt));
  }
  // Distinct from a previous control plane's numbers, so its late answers never match ours.
  c.next_seq_ = static_cast<uint32_t>(getpid()) << 8;
  c.hello_seq_.assign(n, 0);
  c.hello_done_.assign(n, false);
  c.flows_at_handshake_.assign(n, 0);
  for (uint32_t w = 0; w < n; ++w) {
    abi::Hello hello =
        abi::makeHello(c.next_seq_++, static_cast<uint32_t>(getpid()), c.region_.epoch());
    c.hello_seq_[w] = hello.hdr.seq;
    if (!c.cmd_[w].enqueue(&hello, sizeof(hello))) {
      return Error{ErrorCode::Overloaded, workerText(w) + ": command ring full at handshake"};
    }
  }
  return c;
}

Result<bool> DataplaneClient::pollHandshake(
    const std::function<void(const EventView&)>& unsolicited) {
  if (handshaken_) {
    return true;
  }
  bool all = true;
  for (uint32_t w = 0; w < workers(); ++w) {
    if (hello_done_[w]) {
      continue;
    }
    std::string refused;
    // Bounded per call: a dataplane flooding events must not keep the caller here.
    pollEvents(
        w,
        [&](const EventView& ev) {
          if (hello_done_[w] || !refused.empty()) {
            return false;  // leave what follows the HelloAck for pollEvents()
          }
          if (ev.header.type == abi::MsgType::HelloAck && ev.header.seq == hello_seq_[w] &&
              ev.wellFormed()) {
            auto ack = ev.as<abi::HelloAck>();
            ack.reason[sizeof(ack.reason) - 1] = '\0';
            if (ack.status != abi::kOk) {
              refused = workerText(w) + " refused the handshake (" + statusText(ack.status) +
                        "): " + ack.reason;
              return true;
            }
            flows_at_handshake_[w] = ack.flows_live;
            hello_done_[w] = true;
            return true;
          }
          if (!isAnswer(ev.header.type) && unsolicited) {
            unsolicited(ev);
          }
          // Answers to an earlier control plane's commands: nobody waits for them.
          return true;
        },
        1024);
    if (!refused.empty()) {
      return Error{ErrorCode::Unsupported, refused};
    }
    all = all && hello_done_[w];
  }
  handshaken_ = all;
  return all;
}

Result<void> DataplaneClient::submitWithSeq(uint32_t worker, const abi::MsgHeader& msg,
                                            uint32_t seq) {
  if (worker >= workers()) {
    return Error{ErrorCode::InvalidArgument, "no " + workerText(worker)};
  }
  if (msg.size < sizeof(abi::MsgHeader) || msg.size > abi::kCmdSlotSize) {
    return Error{ErrorCode::InvalidArgument,
                 "command size " + std::to_string(msg.size) + " does not fit a slot"};
  }
  if (!handshaken_) {
    return Error{ErrorCode::Unavailable, "the dataplane handshake is not complete"};
  }
  RingProducer& ring = cmd_[worker];
  if (ring.freeSlots(1) == 0) {
    ring.noteFull();
    return Error{ErrorCode::Overloaded, workerText(worker) + ": command ring full"};
  }
  auto* slot = static_cast<uint8_t*>(ring.slot(0));
  std::memcpy(slot, &msg, msg.size);
  std::memcpy(slot + offsetof(abi::MsgHeader, seq), &seq, sizeof(seq));
  ring.publish(1);
  return {};
}

Result<uint32_t> DataplaneClient::submit(uint32_t worker, const abi::MsgHeader& msg) {
  const uint32_t seq = reserveSeq();
  auto sent = submitWithSeq(worker, msg, seq);
  if (!sent) {
    return sent.error();
  }
  return seq;
}

uint32_t DataplaneClient::commandRoom(uint32_t worker) {
  return worker < cmd_.size() ? cmd_[worker].freeSlots(~0u) : 0;
}

bool DataplaneClient::dataplaneRestarted() const {
  return ShmRegion::currentEpoch(region_.name()) != region_.epoch();
}

bool DataplaneClient::inject(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload) {
  if (worker >= inject_.size() || meta.len > abi::kMaxPacket) {
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
  uint32_t i = 0;
  return pollPunted(
      worker,
      [&](const PuntView& p) {
        uint8_t* dst = out + static_cast<std::size_t>(i++) * abi::kPacketSlotSize;
        std::memcpy(dst, &p.meta, sizeof(p.meta));
        std::memcpy(dst + sizeof(p.meta), p.payload, p.meta.len);
        return true;
      },
      max);
}

// --- blocking helpers ----------------------------------------------------------------------

Result<DataplaneClient> DataplaneClient::connect(const std::string& shm_name, uint32_t timeout_ms) {
  auto c = attach(shm_name);
  if (!c) {
    return c.error();
  }
  const uint64_t deadline = deadlineAfter(timeout_ms);
  while (true) {
    auto done = c->pollHandshake();
    if (!done) {
      return done.error();
    }
    if (*done) {
      return std::move(c.value());
    }
    if (monotonicNs() >= deadline) {
      return Error{ErrorCode::Timeout, "the dataplane did not answer the handshake within " +
                                           std::to_string(timeout_ms) + " ms"};
    }
    shortPause();
  }
}

Result<void> DataplaneClient::waitUntil(uint32_t worker, uint32_t timeout_ms,
                                        const std::function<bool(const EventView&)>& visit) {
  uint64_t deadline = deadlineAfter(timeout_ms);
  bool finished = false;
  while (true) {
    const uint32_t n = pollEvents(
        worker,
        [&](const EventView& ev) {
          if (finished) {
            return false;  // leave later events in the ring
          }
          finished = visit(ev);
          return true;
        },
        256);
    if (finished) {
      return {};
    }
    if (n > 0) {
      deadline = deadlineAfter(timeout_ms);  // progress (a long dump) extends the wait
      continue;
    }
    if (monotonicNs() >= deadline) {
      return Error{ErrorCode::Timeout, "no answer from " + workerText(worker) + " within " +
                                           std::to_string(timeout_ms) + " ms"};
    }
    shortPause();
  }
}

Result<abi::Ack> DataplaneClient::call(uint32_t worker, abi::MsgHeader& msg, uint32_t timeout_ms,
                                       const std::function<void(const EventView&)>& answer) {
  auto seq = submit(worker, msg);
  if (!seq) {
    return seq.error();
  }
  msg.seq = *seq;
  abi::Ack ack{};
  auto waited = waitUntil(worker, timeout_ms, [&](const EventView& ev) {
    if (ev.header.seq != *seq || !ev.wellFormed()) {
      ++discarded_;
      return false;
    }
    if (ev.header.type == abi::MsgType::Ack) {
      ack = ev.as<abi::Ack>();
      return true;
    }
    if (answer) {
      answer(ev);
    }
    return false;
  });
  if (!waited) {
    return waited.error();
  }
  return ack;
}

Result<abi::FlowInfo> DataplaneClient::query(uint32_t worker, uint64_t flow, uint32_t timeout_ms) {
  abi::FlowQuery q{};
  q.hdr.type = abi::MsgType::FlowQuery;
  q.hdr.size = sizeof(q);
  q.hdr.flow = flow;
  bool have_info = false;
  abi::FlowInfo info{};
  auto ack = call(worker, q.hdr, timeout_ms, [&](const EventView& ev) {
    if (ev.header.type == abi::MsgType::FlowInfo) {
      info = ev.as<abi::FlowInfo>();
      have_info = true;
    }
  });
  if (!ack) {
    return ack.error();
  }
  if (ack->status != abi::kOk) {
    return Error{statusErrorCode(ack->status), "query failed: " + statusText(ack->status)};
  }
  if (!have_info) {
    return Error{ErrorCode::Malformed, workerText(worker) + " acknowledged without a FlowInfo"};
  }
  return info;
}

Result<std::vector<abi::FlowInfo>> DataplaneClient::dump(uint32_t worker, uint32_t timeout_ms) {
  abi::FlowDump d{};
  d.hdr.type = abi::MsgType::FlowDump;
  d.hdr.size = sizeof(d);
  auto seq = submit(worker, d.hdr);
  if (!seq) {
    return seq.error();
  }
  std::vector<abi::FlowInfo> flows;
  int32_t refused = abi::kOk;
  auto waited = waitUntil(worker, timeout_ms, [&](const EventView& ev) {
    if (ev.header.seq != *seq || !ev.wellFormed()) {
      ++discarded_;
      return false;
    }
    switch (ev.header.type) {
      case abi::MsgType::FlowInfo: flows.push_back(ev.as<abi::FlowInfo>()); return false;
      case abi::MsgType::FlowDumpEnd: return true;
      case abi::MsgType::Ack: refused = ev.as<abi::Ack>().status; return true;
      default: ++discarded_; return false;
    }
  });
  if (!waited) {
    return Error{waited.error().code, "flow dump: " + waited.error().message};
  }
  if (refused != abi::kOk) {
    return Error{statusErrorCode(refused), "flow dump refused: " + statusText(refused)};
  }
  return flows;
}

}  // namespace rampart::platform
