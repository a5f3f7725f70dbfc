#pragma once
// Control-plane side of the shared-memory contract: attaches to the dataplane's region, runs
// the Hello handshake with every worker, sends commands and waits (bounded) for their Acks.
// Used by rampart-controlplane and by tools/flowctl (programming flows without a control plane).
// One DataplaneClient per process; it is the only producer of the command/inject rings and the
// only consumer of the event/punt rings.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <rampart/platform/abi.h>
#include <rampart/platform/result.h>
#include <rampart/platform/shm_region.h>

namespace rampart::platform {

// A copy of one event-ring slot that was not the answer being waited for (FlowIdle,
// SsrcChange, a late Ack...).
struct EventSlot {
  uint32_t worker = 0;
  alignas(8) uint8_t bytes[abi::kCmdSlotSize]{};  // read in place as message structs
  const abi::MsgHeader& header() const { return *reinterpret_cast<const abi::MsgHeader*>(bytes); }
};

class DataplaneClient {
 public:
  // Attaches (exclusively) to region `shm_name` and completes the handshake with every worker
  // within `timeout_ms`. @return Error with the dataplane's reason when it refuses (ABI
  // mismatch), or when the region is missing or another control plane holds it.
  static Result<DataplaneClient> connect(const std::string& shm_name, uint32_t timeout_ms);

  uint32_t workers() const { return region_.workers(); }
  uint64_t epoch() const { return region_.epoch(); }
  // Flows each worker reported at handshake (non-zero after a control-plane restart).
  const std::vector<uint32_t>& flowsAtHandshake() const { return flows_at_handshake_; }
  // True when the region now published under the name has another epoch (dataplane restart).
  bool dataplaneRestarted() const;
  const ShmRegion& region() const { return region_; }

  // Enqueues `msg` (hdr.size bytes; hdr.seq is assigned here) on `worker`'s command ring and
  // waits for the Ack carrying that seq. @return the Ack (its status may be an error), or Error
  // on ring full / timeout.
  Result<abi::Ack> call(uint32_t worker, abi::MsgHeader& msg, uint32_t timeout_ms);

  // FlowQuery for one flow. @return FlowInfo, or Error (status text) when unknown.
  Result<abi::FlowInfo> query(uint32_t worker, uint64_t flow, uint32_t timeout_ms);

  // FlowDump: every flow on `worker`.
  Result<std::vector<abi::FlowInfo>> dump(uint32_t worker, uint32_t timeout_ms);

  // Drains the event rings of every worker into the pending queue and returns it.
  std::vector<EventSlot> takeEvents();

  // Packet rings: punt (dp -> cp) and inject (cp -> dp). `payload` is copied.
  bool inject(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload);
  // Copies up to `max` punted packets of `worker` into `out` (header + payload per slot).
  uint32_t takePunted(uint32_t worker, uint8_t* out, uint32_t max);

 private:
  DataplaneClient() = default;
  // Waits until an event of `type` with `seq` arrives on `worker`; other events are queued.
  Result<EventSlot> waitFor(uint32_t worker, abi::MsgType type, uint32_t seq, uint32_t timeout_ms);
  void pollWorker(uint32_t worker);

  ShmRegion region_;
  std::vector<RingProducer> cmd_;
  std::vector<RingConsumer> evt_;
  std::vector<RingProducer> inject_;
  std::vector<RingConsumer> punt_;
  std::vector<uint32_t> flows_at_handshake_;
  std::deque<EventSlot> pending_;
  uint32_t next_seq_ = 1;
};

}  // namespace rampart::platform
