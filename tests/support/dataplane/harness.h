#pragma once
// In-process dataplane for the worker test, the media-path fuzz target and the benchmark: EAL
// (--no-huge), two net_ring ports standing for the wan and lan media ports, a worker context with
// rings in ordinary memory, and the control-plane end of those rings.
#include <cstdint>
#include <memory>
#include <vector>

#include <rte_mempool.h>
#include <rte_ring.h>

#include <rampart/platform/abi.h>
#include <rampart/platform/spsc_ring.h>

#include "packet_builder.h"
#include "worker/lcore_ctx.h"

namespace rampart::dp::test {

inline constexpr uint8_t kPeerWanMac[6] = {0x02, 0xaa, 0, 0, 0, 2};
inline constexpr uint8_t kPeerLanMac[6] = {0x02, 0xbb, 0, 0, 0, 2};

// Initialises EAL once per process with two ring ports. @return false on failure.
// `lcores` is the EAL -l list (the benchmark uses two lcores).
bool ensureEal(const char* lcores = "0");
rte_mempool* testPool();
rte_ring* rxRing(uint32_t iface);  // what the port receives (the test enqueues here)
rte_ring* txRing(uint32_t iface);  // what the port sent

class Harness {
 public:
  // `worker`: the worker id (several harnesses share the two ports' single queue, and the
  // test decides whose pass reads a frame); `steer`: the workers' shared steering, if several.
  explicit Harness(uint32_t flow_capacity = 64, uint32_t worker = 0, Steering* steer = nullptr);
  ~Harness();

  LcoreCtx& ctx() { return *ctx_; }
  const Iface& wan() const { return ifaces_.ifaces[0]; }
  const Iface& lan() const { return ifaces_.ifaces[1]; }

  // Frames in and out of the ports (iface 0 = wan, 1 = lan).
  void rx(uint32_t iface, const std::vector<uint8_t>& frame);
  std::vector<std::vector<uint8_t>> tx(uint32_t iface);
  uint32_t pass(uint32_t n = 1);

  // Control-plane side.
  int32_t hello(uint16_t major = abi::kAbiMajor);
  abi::Ack call(abi::MsgHeader& msg);          // enqueue, run passes, return the Ack
  std::vector<std::vector<uint8_t>> events();  // drained event slots
  uint32_t punted(std::vector<std::vector<uint8_t>>* out);
  bool injectPacket(const abi::PacketSlot& meta, const std::vector<uint8_t>& payload);
  void learnPeers();  // peers' MACs known (skips ARP in tests that are not about ARP)

  uint64_t drops(uint32_t iface, DropReason r) const {
    return ctx_->stats->ports[iface].drops[static_cast<uint32_t>(r)];
  }
  uint64_t totalDrops(uint32_t iface) const {
    uint64_t n = 0;
    for (uint32_t r = 0; r < kDropReasonCount; ++r) {
      n += ctx_->stats->ports[iface].drops[r];
    }
    return n;
  }

 private:
  IfaceSet ifaces_{};
  std::unique_ptr<LcoreCtx> ctx_;
  std::vector<uint8_t*> mem_;
  platform::RingProducer cmd_;
  platform::RingConsumer evt_;
  platform::RingConsumer punt_;
  platform::RingProducer inject_;
  uint32_t seq_ = 1;
};

// SRTP parameters for `suite` whose key bytes follow from `seed` (both ends of a test agree).
abi::SrtpParams testKey(abi::SrtpSuite suite, uint8_t seed);

// A FlowAdd from `in_iface` (local port `lport`, peer `peer:pport`) to `out_iface`.
abi::FlowAdd makeFlow(const Harness& h, uint32_t in_iface, uint16_t lport, const Addr& peer,
                      uint16_t pport, uint32_t out_iface, uint16_t out_lport, const Addr& out_peer,
                      uint16_t out_pport);

}  // namespace rampart::dp::test
