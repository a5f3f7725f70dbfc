// Fuzz target: the command decoder. The input is cut into 256-byte command slots and applied
// to a fresh worker context (flow table of 8, two interfaces); the first byte decides whether
// the session starts attached, so inputs reach FlowAdd/Modify/Del/Query/Dump without first
// having to discover a valid Hello. Invariants: answers fit the event ring, the table never
// exceeds its capacity, and every key byte of a consumed FlowAdd slot is wiped.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <rampart/platform/abi.h>
#include <rampart/platform/spsc_ring.h>

#include "flow/cmd_apply.h"
#include "srtp/srtp_ctx.h"
#include "worker/lcore_ctx.h"

namespace {

using namespace rampart;
using namespace rampart::dp;

struct Env {
  IfaceSet ifaces{};
  std::vector<uint8_t> evt_mem;
  std::vector<uint8_t> cmd_mem;
  std::vector<uint8_t> stats;
  Env() {
    srtpGlobalInit();
    std::memset(ifaces.by_port, 0xff, sizeof(ifaces.by_port));
    ifaces.count = 2;
    for (uint16_t i = 0; i < 2; ++i) {
      Iface& f = ifaces.ifaces[i];
      f.index = i;
      f.port_id = i;
      f.has_v4 = true;
      f.has_v6 = true;
      f.v4[0] = 198;
      f.v4[1] = 18;
      f.v4[2] = static_cast<uint8_t>(i == 0 ? 2 : 4);
      f.v4[3] = 1;
      f.v4_mask = 0xffffff00u;
      f.v6[0] = 0x20;
      f.v6[1] = 0x01;
      f.v6[15] = 1;
      f.prefix6 = 64;
      f.has_gw4 = i == 0;
      f.gw4[0] = 198;
      f.gw4[1] = 18;
      f.gw4[2] = 2;
      f.gw4[3] = 254;
      f.dscp_audio = 46;
      f.dscp_video = 34;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Env env;
  if (size == 0 || size > 64 * abi::kCmdSlotSize) {
    return 0;
  }
  constexpr uint32_t kCap = 8;
  auto evt_bytes = platform::ringBytes(1024, abi::kCmdSlotSize);
  auto cmd_bytes = platform::ringBytes(64, abi::kCmdSlotSize);
  alignas(64) static uint8_t evt_mem[platform::ringBytes(1024, abi::kCmdSlotSize)];
  alignas(64) static uint8_t cmd_mem[platform::ringBytes(64, abi::kCmdSlotSize)];
  alignas(64) static uint8_t stats[workerStatsBytes(kCap) + 64];
  (void)evt_bytes;
  (void)cmd_bytes;
  auto* evt = platform::ringInit(evt_mem, 1024, abi::kCmdSlotSize);
  auto* cmd = platform::ringInit(cmd_mem, 64, abi::kCmdSlotSize);
  WorkerSetup setup;
  setup.cfg = WorkerConfig{0, 0, kCap, 60, 0};
  setup.ifaces = &env.ifaces;
  setup.stats_area = stats;
  // Packets never flow here: the punt and inject ends are never used.
  setup.rings = {cmd, evt, cmd, cmd};
  setup.tsc_hz = 1000000000ull;
  std::unique_ptr<LcoreCtx> ctx = makeLcoreCtx(setup);
  if (ctx == nullptr) {
    std::abort();
  }
  ctx->attached = (data[0] & 1) != 0;
  ++data;
  --size;
  platform::RingConsumer evt_reader(evt);
  for (size_t off = 0; off < size; off += abi::kCmdSlotSize) {
    alignas(64) uint8_t slot[abi::kCmdSlotSize] = {};
    size_t n = size - off < abi::kCmdSlotSize ? size - off : abi::kCmdSlotSize;
    std::memcpy(slot, data + off, n);
    abi::MsgHeader h;
    std::memcpy(&h, slot, sizeof(h));
    applyCommand(*ctx, slot, abi::kCmdSlotSize);
    for (int i = 0; ctx->dumping && i < 100; ++i) {
      continueDump(*ctx);
    }
    if (ctx->flows.live() > kCap) {
      std::abort();
    }
    if (h.type == abi::MsgType::FlowAdd || h.type == abi::MsgType::FlowModify) {
      const auto* fa = reinterpret_cast<const abi::FlowAdd*>(slot);
      for (uint8_t b : fa->srtp_in.key) {
        if (b != 0)
          std::abort();
      }
      for (uint8_t b : fa->srtp_out.key) {
        if (b != 0)
          std::abort();
      }
    }
    evt_reader.release(evt_reader.available(~0u));
  }
  lcoreFini(*ctx);
  return 0;
}
