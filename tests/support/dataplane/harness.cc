#include "harness.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "flow/cmd_apply.h"
#include "srtp/srtp_ctx.h"
#include "worker/lcore_loop.h"

namespace rampart::dp::test {
namespace {

struct Eal {
  bool ok = false;
  rte_mempool* pool = nullptr;
  rte_ring* rx[2]{};
  rte_ring* tx[2]{};
  uint16_t port[2]{};
};

Eal& eal() {
  static Eal e;
  return e;
}

bool setupPort(Eal& e, int i) {
  std::string n = "t" + std::to_string(i);
  e.rx[i] = rte_ring_create((n + "rx").c_str(), 16384, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  e.tx[i] = rte_ring_create((n + "tx").c_str(), 16384, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (e.rx[i] == nullptr || e.tx[i] == nullptr) {
    return false;
  }
  int p = rte_eth_from_rings(("net_ring_" + n).c_str(), &e.rx[i], 1, &e.tx[i], 1, 0);
  if (p < 0) {
    return false;
  }
  e.port[i] = static_cast<uint16_t>(p);
  rte_eth_conf conf{};
  if (rte_eth_dev_configure(e.port[i], 1, 1, &conf) != 0 ||
      rte_eth_rx_queue_setup(e.port[i], 0, 1024, 0, nullptr, e.pool) != 0 ||
      rte_eth_tx_queue_setup(e.port[i], 0, 1024, 0, nullptr) != 0) {
    return false;
  }
  return rte_eth_dev_start(e.port[i]) == 0;
}

void setAddr(uint8_t* dst, const Addr& a) { std::memcpy(dst, a.b, a.family == 4 ? 4 : 16); }

}  // namespace

bool ensureEal(const char* lcores) {
  Eal& e = eal();
  static bool tried = false;
  if (tried) {
    return e.ok;
  }
  tried = true;
  std::string prefix = "rdtest" + std::to_string(getpid());
  const char* argv[] = {"test", "--no-huge", "-m",          "512", "--no-pci",      "--no-shconf",
                        "-l",   lcores,      "--log-level", "3",   "--no-telemetry"};
  if (rte_eal_init(sizeof(argv) / sizeof(argv[0]), const_cast<char**>(argv)) < 0) {
    return false;
  }
  e.pool = rte_pktmbuf_pool_create("tpool", 65535, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  if (e.pool == nullptr || !setupPort(e, 0) || !setupPort(e, 1) || !srtpGlobalInit()) {
    return false;
  }
  // As the dataplane does once EAL is up; RAMPART_TEST_SRTP_ENGINE=libsrtp runs the same
  // tests with libsrtp2 for every flow (dataplane.srtp_engine: libsrtp).
  srtpUseDpdkMemory(true);
  const char* engine = std::getenv("RAMPART_TEST_SRTP_ENGINE");
  srtpSetFastPath(engine == nullptr || std::strcmp(engine, "libsrtp") != 0);
  e.ok = true;
  return true;
}

rte_mempool* testPool() { return eal().pool; }
rte_ring* rxRing(uint32_t iface) { return eal().rx[iface]; }
rte_ring* txRing(uint32_t iface) { return eal().tx[iface]; }

Harness::Harness(uint32_t flow_capacity, uint32_t worker, Steering* steer) {
  if (!ensureEal()) {
    std::abort();
  }
  Eal& e = eal();
  std::memset(&ifaces_, 0, sizeof(ifaces_));
  std::memset(ifaces_.by_port, 0xff, sizeof(ifaces_.by_port));
  ifaces_.count = 2;
  const char* realms[2] = {"wan", "lan"};
  for (uint16_t i = 0; i < 2; ++i) {
    Iface& f = ifaces_.ifaces[i];
    f.port_id = e.port[i];
    f.index = i;
    uint8_t mac[6] = {0x02, 0x52, 0x4d, 0, 0, static_cast<uint8_t>(i + 1)};
    std::memcpy(f.mac, mac, 6);
    f.has_v4 = true;
    f.has_v6 = true;
    uint8_t third = i == 0 ? 2 : 4;
    setAddr(f.v4, v4(198, 18, third, 1));
    f.v4_mask = 0xffffff00u;
    setAddr(f.v6, v6(0x2001, 2, 0, third, 1));
    f.prefix6 = 64;
    f.dscp_audio = 46;
    f.dscp_video = 34;
    std::snprintf(f.realm, sizeof(f.realm), "%s", realms[i]);
    ifaces_.by_port[e.port[i]] = static_cast<int16_t>(i);
  }
  auto ring = [&](uint32_t count, uint32_t slot) {
    auto* m = static_cast<uint8_t*>(std::aligned_alloc(64, platform::ringBytes(count, slot)));
    mem_.push_back(m);
    return platform::ringInit(m, count, slot);
  };
  auto* cmd = ring(256, abi::kCmdSlotSize);
  auto* evt = ring(1024, abi::kCmdSlotSize);
  auto* punt = ring(64, abi::kPacketSlotSize);
  auto* inj = ring(64, abi::kPacketSlotSize);
  std::size_t sbytes = (workerStatsBytes(flow_capacity) + 63) & ~std::size_t{63};
  auto* stats = static_cast<uint8_t*>(std::aligned_alloc(64, sbytes));
  mem_.push_back(stats);
  WorkerSetup setup;
  setup.cfg = WorkerConfig{worker, 0, flow_capacity, 60, 0};
  setup.ifaces = &ifaces_;
  setup.pool = e.pool;
  setup.stats_area = stats;
  setup.rings = {cmd, evt, punt, inj};
  setup.tsc_hz = rte_get_tsc_hz();
  setup.epoch = 1234;
  setup.steer = steer;
  ctx_ = makeLcoreCtx(setup);
  if (ctx_ == nullptr) {
    std::abort();
  }
  cmd_ = platform::RingProducer(cmd);
  evt_ = platform::RingConsumer(evt);
  punt_ = platform::RingConsumer(punt);
  inject_ = platform::RingProducer(inj);
  // Leftovers from a previous test on the shared rings.
  tx(0);
  tx(1);
}

Harness::~Harness() {
  lcoreFini(*ctx_);
  tx(0);
  tx(1);
  rte_mbuf* m = nullptr;
  for (int i = 0; i < 2; ++i) {
    while (rte_ring_dequeue(eal().rx[i], reinterpret_cast<void**>(&m)) == 0) {
      rte_pktmbuf_free(m);
    }
  }
  ctx_.reset();
  for (auto* p : mem_) {
    std::free(p);
  }
}

void Harness::rx(uint32_t iface, const std::vector<uint8_t>& frame) {
  rte_mbuf* m = rte_pktmbuf_alloc(eal().pool);
  auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())));
  if (!frame.empty()) {
    std::memcpy(d, frame.data(), frame.size());
  }
  rte_ring_enqueue(eal().rx[iface], m);
}

std::vector<std::vector<uint8_t>> Harness::tx(uint32_t iface) {
  std::vector<std::vector<uint8_t>> out;
  rte_mbuf* m = nullptr;
  while (rte_ring_dequeue(eal().tx[iface], reinterpret_cast<void**>(&m)) == 0) {
    auto* d = rte_pktmbuf_mtod(m, uint8_t*);
    out.emplace_back(d, d + rte_pktmbuf_data_len(m));
    rte_pktmbuf_free(m);
  }
  return out;
}

uint32_t Harness::pass(uint32_t n) {
  uint32_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    total += workerPass(*ctx_);
  }
  return total;
}

int32_t Harness::hello(uint16_t major) {
  abi::Hello h = abi::makeHello(seq_++, 1, ctx_->epoch);
  h.abi_major = major;
  cmd_.enqueue(&h, sizeof(h));
  pass();
  for (auto& e : events()) {
    abi::HelloAck a;
    std::memcpy(&a, e.data(), sizeof(a));
    if (a.hdr.type == abi::MsgType::HelloAck && a.hdr.seq == h.hdr.seq) {
      return a.status;
    }
  }
  return 1;
}

abi::Ack Harness::call(abi::MsgHeader& msg) {
  msg.seq = seq_++;
  cmd_.enqueue(&msg, msg.size);
  pass();
  for (auto& e : events()) {
    abi::Ack a;
    std::memcpy(&a, e.data(), sizeof(a));
    if (a.hdr.type == abi::MsgType::Ack && a.hdr.seq == msg.seq) {
      return a;
    }
  }
  abi::Ack none{};
  none.status = 999;
  return none;
}

std::vector<std::vector<uint8_t>> Harness::events() {
  std::vector<std::vector<uint8_t>> out;
  uint32_t n = evt_.available(~0u);
  for (uint32_t i = 0; i < n; ++i) {
    auto* s = static_cast<const uint8_t*>(evt_.slot(i));
    out.emplace_back(s, s + abi::kCmdSlotSize);
  }
  evt_.release(n);
  return out;
}

uint32_t Harness::punted(std::vector<std::vector<uint8_t>>* out) {
  uint32_t n = punt_.available(~0u);
  for (uint32_t i = 0; i < n; ++i) {
    auto* s = static_cast<const uint8_t*>(punt_.slot(i));
    out->emplace_back(s, s + abi::kPacketSlotSize);
  }
  punt_.release(n);
  return n;
}

bool Harness::injectPacket(const abi::PacketSlot& meta, const std::vector<uint8_t>& payload) {
  if (inject_.freeSlots(1) == 0) {
    return false;
  }
  auto* s = static_cast<uint8_t*>(inject_.slot(0));
  std::memcpy(s, &meta, sizeof(meta));
  std::memcpy(s + sizeof(meta), payload.data(), payload.size());
  inject_.publish(1);
  return true;
}

void Harness::learnPeers() {
  ctx_->neigh.learn(4, 0, v4(198, 18, 2, 2).b, kPeerWanMac, true, rte_rdtsc());
  ctx_->neigh.learn(4, 1, v4(198, 18, 4, 2).b, kPeerLanMac, true, rte_rdtsc());
  ctx_->neigh.learn(6, 0, v6(0x2001, 2, 0, 2, 2).b, kPeerWanMac, true, rte_rdtsc());
  ctx_->neigh.learn(6, 1, v6(0x2001, 2, 0, 4, 2).b, kPeerLanMac, true, rte_rdtsc());
}

abi::SrtpParams testKey(abi::SrtpSuite suite, uint8_t seed) {
  abi::SrtpParams p{};
  p.suite = suite;
  p.key_len = static_cast<uint8_t>(srtpKeyLen(suite));
  for (uint32_t i = 0; i < p.key_len; ++i) {
    p.key[i] = static_cast<uint8_t>(seed * 3 + i);
  }
  return p;
}

abi::FlowAdd makeFlow(const Harness& h, uint32_t in_iface, uint16_t lport, const Addr& peer,
                      uint16_t pport, uint32_t out_iface, uint16_t out_lport, const Addr& out_peer,
                      uint16_t out_pport) {
  abi::FlowAdd f{};
  f.hdr.type = abi::MsgType::FlowAdd;
  f.hdr.size = sizeof(f);
  f.in_port = static_cast<uint16_t>(in_iface);
  f.out_port = static_cast<uint16_t>(out_iface);
  const Iface& in = in_iface == 0 ? h.wan() : h.lan();
  const Iface& out = out_iface == 0 ? h.wan() : h.lan();
  if (peer.family == 6) {
    f.flags |= abi::kFlowIpv6;
  }
  if (out_peer.family == 6) {
    f.flags |= abi::kFlowOutIpv6;
  }
  std::memcpy(f.in_local.addr, peer.family == 4 ? in.v4 : in.v6, peer.family == 4 ? 4 : 16);
  f.in_local.port = lport;
  std::memcpy(f.in_remote.addr, peer.b, 16);
  f.in_remote.port = pport;
  std::memcpy(f.out_local.addr, out_peer.family == 4 ? out.v4 : out.v6,
              out_peer.family == 4 ? 4 : 16);
  f.out_local.port = out_lport;
  std::memcpy(f.out_remote.addr, out_peer.b, 16);
  f.out_remote.port = out_pport;
  f.dscp = abi::kDscpRealmDefault;
  f.cookie = 42;
  return f;
}

}  // namespace rampart::dp::test
