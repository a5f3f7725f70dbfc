#pragma once
// Control-plane side of the shared-memory contract: attaches to the dataplane's region, runs
// the Hello handshake with every worker, sends commands and hands back what the dataplane
// answers.
//
// Two layers:
//  - non-blocking primitives (attach, pollHandshake, submit, pollEvents, inject, pollPunted):
//    nothing sleeps or waits; the caller drives them from its event loop (the control plane's
//    FlowProgrammer) and decides what to do when a ring is full;
//  - blocking helpers (connect, call, query, dump) built on those primitives for
//    tools/flowctl and test tools, where waiting is what a CLI wants.
//
// One DataplaneClient per process; it is the only producer of the command/inject rings and the
// only consumer of the event/punt rings, so it must be used from one thread.
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <rampart/platform/abi.h>
#include <rampart/platform/result.h>
#include <rampart/platform/shm_region.h>

namespace rampart::platform {

// One event-ring slot, read in place: valid only during the visitor call that receives it.
struct EventView {
  uint32_t worker = 0;
  abi::MsgHeader header{};         // copied out of the slot
  const uint8_t* bytes = nullptr;  // the whole slot (abi::kCmdSlotSize bytes)

  /// @return true when the slot's declared size is at least the ABI minimum for its type and
  /// fits the slot (a message we can read safely).
  bool wellFormed() const {
    const uint16_t min = abi::minSize(header.type);
    return min != 0 && header.size >= min && header.size <= abi::kCmdSlotSize;
  }
  /// Copies the slot as message type T (sizeof(T) bytes). Check wellFormed() first.
  template <typename T>
  T as() const {
    static_assert(abi::kIsWireType<T> && sizeof(T) <= abi::kCmdSlotSize);
    T out;
    std::memcpy(&out, bytes, sizeof(out));
    return out;
  }
};

// One punt-ring slot, read in place: valid only during the visitor call that receives it.
struct PuntView {
  uint32_t worker = 0;
  abi::PacketSlot meta{};            // copied out of the slot; meta.len <= abi::kMaxPacket
  const uint8_t* payload = nullptr;  // meta.len bytes
};

/// @return the ErrorCode a non-zero Ack/HelloAck status stands for (kErrNoEnt -> NotFound...).
ErrorCode statusErrorCode(int32_t status);
/// @return a short text for an Ack/HelloAck status ("no such flow").
std::string statusText(int32_t status);

class DataplaneClient {
 public:
  // --- non-blocking primitives ---------------------------------------------------------------

  /// Attaches (exclusively) to region `shm_name` and enqueues a Hello on every worker, without
  /// waiting for the answers; drive the handshake with pollHandshake().
  /// @return Error: Unavailable (no region, not ready), Conflict (another control plane holds
  /// it), Unsupported (ABI major), Overloaded (a command ring is full), or as ShmRegion::attach.
  static Result<DataplaneClient> attach(const std::string& shm_name);

  /// Advances the handshake: reads every worker's event ring up to its HelloAck. Answers to
  /// commands of an earlier control plane found before it are discarded; FlowIdle and
  /// SsrcChange (about flows the dataplane kept) go to `unsolicited` when given.
  /// @return true once every worker accepted, false while answers are missing, or
  /// Error{Unsupported} with the dataplane's reason when a worker refused (ABI mismatch).
  Result<bool> pollHandshake(const std::function<void(const EventView&)>& unsolicited = {});
  /// @return true once every worker has accepted the Hello.
  bool handshaken() const { return handshaken_; }

  /// @return a fresh sequence number, for submitWithSeq().
  uint32_t reserveSeq() { return next_seq_++; }

  /// Enqueues `msg` (msg.size bytes) on `worker`'s command ring with a fresh seq written into
  /// the ring's copy (`msg` itself is not modified).
  /// @return the seq, or Error: Overloaded when the ring is full, Unavailable before the
  /// handshake completed, InvalidArgument for a bad worker or size.
  Result<uint32_t> submit(uint32_t worker, const abi::MsgHeader& msg);
  /// Same with a seq the caller reserved (reserveSeq()), so it can hand the seq out before
  /// the command finds room in the ring.
  Result<void> submitWithSeq(uint32_t worker, const abi::MsgHeader& msg, uint32_t seq);
  /// @return free command slots of `worker` (0 for an unknown worker).
  uint32_t commandRoom(uint32_t worker);

  /// Hands `worker`'s event slots, oldest first, to `visit` (at most `max`). A slot is consumed
  /// only when `visit` returns true; on false, polling stops and that slot is offered again on
  /// the next call. Nothing is buffered or dropped here.
  /// @return the number of slots consumed.
  template <typename Visitor>
  uint32_t pollEvents(uint32_t worker, Visitor&& visit, uint32_t max);

  /// Hands `worker`'s punted packets to `visit(const PuntView&)` the same way (true: consumed).
  template <typename Visitor>
  uint32_t pollPunted(uint32_t worker, Visitor&& visit, uint32_t max);

  /// Copies up to `max` punted packets of `worker` into `out` (abi::kPacketSlotSize bytes per
  /// packet: PacketSlot header then payload). @return how many.
  uint32_t takePunted(uint32_t worker, uint8_t* out, uint32_t max);

  /// Enqueues one packet on `worker`'s inject ring (`payload`, meta.len bytes, is copied).
  /// @return false when the ring is full, the worker unknown or the packet too long.
  bool inject(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload);

  // --- state -------------------------------------------------------------------------------

  uint32_t workers() const { return region_.workers(); }
  uint64_t epoch() const { return region_.epoch(); }
  /// Flows each worker reported at handshake (non-zero after a control-plane restart).
  const std::vector<uint32_t>& flowsAtHandshake() const { return flows_at_handshake_; }
  /// True when the region now published under the name has another epoch (dataplane restart).
  bool dataplaneRestarted() const;
  const ShmRegion& region() const { return region_; }

  // --- blocking helpers (tools) --------------------------------------------------------------

  /// attach() + pollHandshake() until done or `timeout_ms` passes (Error{Timeout}).
  static Result<DataplaneClient> connect(const std::string& shm_name, uint32_t timeout_ms);

  /// Enqueues `msg` (its hdr.seq is set here) and waits for the Ack with that seq. Other slots
  /// carrying the same seq (the FlowInfo of a FlowQuery) go to `answer` when given; unrelated
  /// events met while waiting are discarded (counted in discardedEvents()).
  /// @return the Ack (its status may be an error), or Error: Overloaded (ring full), Timeout.
  Result<abi::Ack> call(uint32_t worker, abi::MsgHeader& msg, uint32_t timeout_ms,
                        const std::function<void(const EventView&)>& answer = {});

  /// FlowQuery for one flow. @return FlowInfo, or Error (NotFound for an unknown handle,
  /// Timeout, Overloaded).
  Result<abi::FlowInfo> query(uint32_t worker, uint64_t flow, uint32_t timeout_ms);

  /// FlowDump: every flow on `worker`; `timeout_ms` bounds the wait for each next answer.
  Result<std::vector<abi::FlowInfo>> dump(uint32_t worker, uint32_t timeout_ms);

  /// Events the blocking helpers consumed that were not theirs.
  uint64_t discardedEvents() const { return discarded_; }

 private:
  DataplaneClient() = default;
  // Waits until `visit` (returning true when it saw the end of the answer) is satisfied.
  Result<void> waitUntil(uint32_t worker, uint32_t timeout_ms,
                         const std::function<bool(const EventView&)>& visit);

  ShmRegion region_;
  std::vector<RingProducer> cmd_;
  std::vector<RingConsumer> evt_;
  std::vector<RingProducer> inject_;
  std::vector<RingConsumer> punt_;
  std::vector<uint32_t> hello_seq_;
  std::vector<bool> hello_done_;
  std::vector<uint32_t> flows_at_handshake_;
  bool handshaken_ = false;
  uint32_t next_seq_ = 1;
  uint64_t discarded_ = 0;
};

template <typename Visitor>
uint32_t DataplaneClient::pollEvents(uint32_t worker, Visitor&& visit, uint32_t max) {
  if (worker >= evt_.size()) {
    return 0;
  }
  RingConsumer& ring = evt_[worker];
  uint32_t n = ring.available(max);
  n = n < max ? n : max;
  uint32_t used = 0;
  for (; used < n; ++used) {
    EventView ev;
    ev.worker = worker;
    ev.bytes = static_cast<const uint8_t*>(ring.slot(used));
    std::memcpy(&ev.header, ev.bytes, sizeof(ev.header));
    if (!visit(static_cast<const EventView&>(ev))) {
      break;
    }
  }
  if (used > 0) {
    ring.release(used);
  }
  return used;
}

template <typename Visitor>
uint32_t DataplaneClient::pollPunted(uint32_t worker, Visitor&& visit, uint32_t max) {
  if (worker >= punt_.size()) {
    return 0;
  }
  RingConsumer& ring = punt_[worker];
  uint32_t n = ring.available(max);
  n = n < max ? n : max;
  uint32_t used = 0;
  for (; used < n; ++used) {
    const auto* slot = static_cast<const uint8_t*>(ring.slot(used));
    PuntView p;
    p.worker = worker;
    std::memcpy(&p.meta, slot, sizeof(p.meta));
    if (p.meta.len > abi::kMaxPacket) {
      p.meta.len = abi::kMaxPacket;  // never read past the slot, whatever the header says
    }
    p.payload = slot + sizeof(p.meta);
    if (!visit(static_cast<const PuntView&>(p))) {
      break;
    }
  }
  if (used > 0) {
    ring.release(used);
  }
  return used;
}

}  // namespace rampart::platform
