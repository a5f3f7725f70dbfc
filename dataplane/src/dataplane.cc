#include "dataplane.h"

#include <atomic>
#include <cstring>
#include <memory>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <rampart/dp/stats_layout.h>
#include <rampart/platform/log.h>
#include <rampart/platform/shm_region.h>
#include <rampart/platform/signals.h>
#include <rampart/platform/xcode_stats.h>

#include "srtp/srtp_ctx.h"
#include "srtp/srtp_fast.h"
#include "worker/lcore_loop.h"

namespace rampart::dp {
namespace {

constexpr const char* kLog = "dataplane";
constexpr uint16_t kRxDesc = 1024;
constexpr uint16_t kTxDesc = 1024;

std::atomic<bool> g_stop{false};

int lcoreMain(void* arg) {
  auto* ctx = static_cast<LcoreCtx*>(arg);
  workerLoop(*ctx, g_stop);
  return 0;
}

std::string portName(const std::string& devargs) { return devargs.substr(0, devargs.find(',')); }

uint32_t prefixMask(int len) {
  return len <= 0 ? 0 : len >= 32 ? 0xffffffffu : ~((1u << (32 - len)) - 1);
}

bool fillIface(const platform::Realm& realm, uint16_t index, Iface* out) {
  std::memset(out, 0, sizeof(*out));
  out->index = index;
  const platform::MediaSettings& m = realm.media;
  std::snprintf(out->realm, sizeof(out->realm), "%s", realm.name.c_str());
  if (m.address.family == 4) {
    out->has_v4 = true;
    std::memcpy(out->v4, m.address.bytes, 4);
    out->v4_mask = prefixMask(m.prefix_len);
  } else {
    out->has_v6 = true;
    std::memcpy(out->v6, m.address.bytes, 16);
    out->prefix6 = static_cast<uint32_t>(m.prefix_len);
  }
  if (m.address6) {
    out->has_v6 = true;
    std::memcpy(out->v6, m.address6->bytes, 16);
    out->prefix6 = static_cast<uint32_t>(m.prefix_len6);
  }
  if (m.gateway && m.gateway->family == 4) {
    out->has_gw4 = true;
    std::memcpy(out->gw4, m.gateway->bytes, 4);
  }
  if (m.gateway6) {
    out->has_gw6 = true;
    std::memcpy(out->gw6, m.gateway6->bytes, 16);
  }
  out->dscp_audio = realm.dscp.audio;
  out->dscp_video = realm.dscp.video;
  return true;
}

bool startPort(Iface& iface, const std::string& name, uint16_t queues, rte_mempool* pool) {
  uint16_t pid = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &pid) != 0) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "port %s not found (check devargs)", name.c_str());
    return false;
  }
  iface.port_id = pid;
  rte_eth_dev_info info;
  int rc = rte_eth_dev_info_get(pid, &info);
  if (rc != 0) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "port %s: device info: %s", name.c_str(),
                rte_strerror(-rc));
    return false;
  }
  if (info.max_rx_queues < queues || info.max_tx_queues < queues) {
    // Each worker polls its own queue pair on every port.
    RAMPART_LOG(platform::LogLevel::Error, kLog,
                "port %s has %u RX / %u TX queues, %u workers need one each%s", name.c_str(),
                info.max_rx_queues, info.max_tx_queues, queues,
                name.rfind("net_af_packet", 0) == 0 ? " (add qpairs=N to its devargs)" : "");
    return false;
  }
  rte_eth_conf conf;
  std::memset(&conf, 0, sizeof(conf));
  constexpr uint64_t kCsum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
  if ((info.tx_offload_capa & kCsum) == kCsum) {
    conf.txmode.offloads |= kCsum;
    iface.tx_csum_offload = true;
  }
  rc = rte_eth_dev_configure(pid, queues, queues, &conf);
  if (rc != 0) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "port %s: configure %u queues: %s", name.c_str(),
                queues, rte_strerror(-rc));
    return false;
  }
  uint16_t rxd = kRxDesc;
  uint16_t txd = kTxDesc;
  rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
  int socket = rte_eth_dev_socket_id(pid);
  for (uint16_t q = 0; q < queues; ++q) {
    rc = rte_eth_rx_queue_setup(pid, q, rxd, static_cast<unsigned>(socket), nullptr, pool);
    if (rc == 0) {
      rc = rte_eth_tx_queue_setup(pid, q, txd, static_cast<unsigned>(socket), nullptr);
    }
    if (rc != 0) {
      RAMPART_LOG(platform::LogLevel::Error, kLog, "port %s: queue %u setup: %s", name.c_str(), q,
                  rte_strerror(-rc));
      return false;
    }
  }
  rc = rte_eth_dev_start(pid);
  if (rc != 0) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "port %s: start: %s", name.c_str(),
                rte_strerror(-rc));
    return false;
  }
  // Media addresses live only in the dataplane, so it must see multicast ND and any MAC the
  // lab puts on the wire.
  rte_eth_promiscuous_enable(pid);
  rte_eth_allmulticast_enable(pid);
  rte_ether_addr mac;
  rte_eth_macaddr_get(pid, &mac);
  std::memcpy(iface.mac, mac.addr_bytes, 6);
  RAMPART_LOG(platform::LogLevel::Info, kLog,
              "port %u (%s, realm %s) up: %02x:%02x:%02x:%02x:%02x:%02x, %u queue(s), %s checksums",
              pid, name.c_str(), iface.realm, mac.addr_bytes[0], mac.addr_bytes[1],
              mac.addr_bytes[2], mac.addr_bytes[3], mac.addr_bytes[4], mac.addr_bytes[5], queues,
              iface.tx_csum_offload ? "offloaded" : "software");
  return true;
}

bool hasLcoreArg(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "-l" || a == "-c" || a == "--lcores" || a.rfind("--lcores=", 0) == 0) {
      return true;
    }
  }
  return false;
}

// Everything runDataplane builds, released in reverse order by shutDown().
struct Runtime {
  // Ports in config order: each realm's devices in turn. FlowAdd.in_port/out_port are these
  // positions.
  std::vector<std::pair<const platform::Realm*, std::string>> ports;
  uint32_t n_workers = 0;
  bool eal_up = false;
  rte_mempool* pool = nullptr;
  std::unique_ptr<IfaceSet> ifaces;
  // Packets reach whichever worker's queue the PMD hashes them to; with several workers the
  // owner of each flow is looked up and the packet handed over (worker/steering.h).
  std::unique_ptr<Steering> steering;
  platform::ShmRegion region;
  // <shm>.xc: the transcoder's rings (docs/ARCHITECTURE.md "Transcoding"); no keys in it.
  platform::ShmRegion xc_region;
  std::vector<std::unique_ptr<LcoreCtx>> workers;
};

bool listPorts(const platform::Config& cfg, Runtime& rt) {
  for (const auto& r : cfg.realms) {
    for (const auto& d : r.media.devargs) {
      rt.ports.emplace_back(&r, d);
    }
  }
  if (rt.ports.empty() || rt.ports.size() > kMaxPorts) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "need 1..%u media ports", kMaxPorts);
    return false;
  }
  rt.n_workers = static_cast<uint32_t>(cfg.dataplane.worker_cpus.size());
  return true;
}

// EAL, the stop handlers and libsrtp2; checks EAL gave an lcore per worker.
bool startEal(const platform::Config& cfg, const RunOptions& opt, Runtime& rt) {
  std::vector<std::string> args = buildEalArgs(cfg, opt.extra_eal);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "EAL init failed: %s", rte_strerror(rte_errno));
    return false;
  }
  rt.eal_up = true;
  platform::installStopHandlers();
  if (!srtpGlobalInit()) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "libsrtp2 initialisation failed");
    return false;
  }
  srtpUseDpdkMemory(true);
  srtpSetFastPath(cfg.dataplane.srtp_engine == platform::DataplaneSettings::SrtpEngine::Fast);
  if (srtpFastPath() && fastSrtpMgr() == nullptr) {
    RAMPART_LOG(platform::LogLevel::Warn, kLog,
                "SRTP fast path: intel-ipsec-mb unavailable, every flow on libsrtp2");
    srtpSetFastPath(false);
  }
  if (srtpFastPath()) {
    RAMPART_LOG(platform::LogLevel::Info, kLog,
                "SRTP: fast path on intel-ipsec-mb %s (%s code), libsrtp2 for the rest",
                fastSrtpVersion(), fastSrtpArch());
  } else {
    RAMPART_LOG(platform::LogLevel::Info, kLog,
                "SRTP: libsrtp2 for every flow (dataplane.srtp_engine: libsrtp)");
  }
  RAMPART_LOG(platform::LogLevel::Info, kLog, "SRTP: libsrtp2 over OpenSSL, HMAC-SHA1 %s",
              srtpUsesLibsrtpHmac() ? "libsrtp2's own (RAMPART_LIBSRTP_HMAC=1)"
                                    : "with precomputed pads (srtp/hmac_sha1.h)");
  if (rt.n_workers == 0 || rte_lcore_count() < rt.n_workers + 1) {
    RAMPART_LOG(platform::LogLevel::Error, kLog,
                "need %u worker lcores plus the main lcore, EAL has %u", rt.n_workers,
                rte_lcore_count());
    return false;
  }
  return true;
}

bool createMbufPool(Runtime& rt) {
  uint32_t mbufs =
      8192 +
      static_cast<uint32_t>(rt.ports.size()) * rt.n_workers * (kRxDesc + kTxDesc + 2 * kBurst) +
      rt.n_workers * kPendingCap;
  rt.pool = rte_pktmbuf_pool_create("rampart_mbufs", mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    static_cast<int>(rte_socket_id()));
  if (rt.pool == nullptr) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "mbuf pool (%u mbufs): %s", mbufs,
                rte_strerror(rte_errno));
    return false;
  }
  return true;
}

bool startPorts(Runtime& rt) {
  rt.ifaces = std::make_unique<IfaceSet>();
  std::memset(rt.ifaces.get(), 0, sizeof(IfaceSet));
  std::memset(rt.ifaces->by_port, 0xff, sizeof(rt.ifaces->by_port));
  for (size_t i = 0; i < rt.ports.size(); ++i) {
    Iface& iface = rt.ifaces->ifaces[i];
    fillIface(*rt.ports[i].first, static_cast<uint16_t>(i), &iface);
    if (!startPort(iface, portName(rt.ports[i].second), static_cast<uint16_t>(rt.n_workers),
                   rt.pool)) {
      return false;
    }
    rt.ifaces->count = static_cast<uint32_t>(i + 1);
    if (iface.port_id < 64) {
      rt.ifaces->by_port[iface.port_id] = static_cast<int16_t>(i);
    }
  }
  return true;
}

bool createSteering(Runtime& rt) {
  if (rt.n_workers < 2) {
    return true;
  }
  rt.steering = std::make_unique<Steering>();
  if (!rt.steering->init(rt.n_workers, "rampart")) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "handoff rings for %u workers: %s", rt.n_workers,
                rte_strerror(rte_errno));
    return false;
  }
  return true;
}

// The transcoder's region: per worker a ring of packets to transcode (the Punt slot) and one
// of transcoded packets (the Inject slot); command and event rings stay unused and minimal.
bool createXcodeRegion(const platform::Config& cfg, Runtime& rt) {
  platform::RegionGeometry g;
  g.n_workers = rt.n_workers;
  g.cmd_slots = 16;
  g.evt_slots = 16;
  g.punt_slots = 1024;
  g.inject_slots = 1024;
  auto r = platform::ShmRegion::create(cfg.shm_name + ".xc", g);
  if (!r) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "%s", r.error().message.c_str());
    return false;
  }
  rt.xc_region = std::move(r.value());
  return true;
}

bool createRegion(const platform::Config& cfg, Runtime& rt) {
  platform::RegionGeometry g;
  g.n_workers = rt.n_workers;
  g.cmd_slots = cfg.dataplane.command_slots;
  g.evt_slots = cfg.dataplane.event_slots;
  g.punt_slots = cfg.dataplane.punt_slots;
  g.inject_slots = cfg.dataplane.inject_slots;
  g.stats_bytes_per_worker = (workerStatsBytes(cfg.dataplane.flow_capacity) + 4095) & ~4095ull;
  auto r = platform::ShmRegion::create(cfg.shm_name, g);
  if (!r) {
    RAMPART_LOG(platform::LogLevel::Error, kLog, "%s", r.error().message.c_str());
    return false;
  }
  rt.region = std::move(r.value());
  if (!createXcodeRegion(cfg, rt)) {
    return false;
  }
  if (!rt.region.memoryLocked() && cfg.dataplane.require_locked_memory) {
    RAMPART_LOG(platform::LogLevel::Error, kLog,
                "region %s: mlock failed and dataplane.require_locked_memory is true (raise "
                "RLIMIT_MEMLOCK or run with CAP_IPC_LOCK)",
                cfg.shm_name.c_str());
    return false;
  }
  if (!rt.region.memoryLocked()) {
    // Not fatal unless the config asks (media flows), but the keys may reach swap.
    RAMPART_LOG(platform::LogLevel::Warn, kLog,
                "region %s: mlock failed, SRTP keys may be swapped out (raise "
                "RLIMIT_MEMLOCK or run with CAP_IPC_LOCK); rampart_dp_region_memory_locked=0",
                cfg.shm_name.c_str());
  }
  return true;
}

// One worker context per worker lcore, each launched as soon as it is built.
bool launchWorkers(const platform::Config& cfg, Runtime& rt) {
  using platform::RingKind;
  uint32_t w = 0;
  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    if (w == rt.n_workers) {
      break;
    }
    WorkerSetup setup;
    setup.cfg = WorkerConfig{w, static_cast<uint16_t>(w), cfg.dataplane.flow_capacity,
                             cfg.dataplane.idle_timeout_s, cfg.dataplane.idle_backoff_us};
    setup.ifaces = rt.ifaces.get();
    setup.pool = rt.pool;
    setup.stats_area = rt.region.stats(w);
    setup.rings = {rt.region.ring(w, RingKind::Command), rt.region.ring(w, RingKind::Event),
                   rt.region.ring(w, RingKind::Punt),    rt.region.ring(w, RingKind::Inject),
                   rt.xc_region.ring(w, RingKind::Punt), rt.xc_region.ring(w, RingKind::Inject)};
    if (rt.xc_region.valid() && rt.xc_region.statsSize(w) >= sizeof(platform::XcodeStats)) {
      setup.xc_stats_area = rt.xc_region.stats(w);
    }
    setup.tsc_hz = rte_get_tsc_hz();
    setup.epoch = rt.region.epoch();
    setup.steer = rt.steering.get();
    std::unique_ptr<LcoreCtx> ctx = makeLcoreCtx(setup);
    if (ctx == nullptr) {
      RAMPART_LOG(platform::LogLevel::Error, kLog,
                  "worker %u: flow table of %u entries: out of memory", w,
                  cfg.dataplane.flow_capacity);
      return false;
    }
    rte_eal_remote_launch(lcoreMain, ctx.get(), lcore);
    RAMPART_LOG(platform::LogLevel::Info, kLog,
                "worker %u on lcore %u, %u flows, idle back-off %u us", w, lcore,
                cfg.dataplane.flow_capacity, cfg.dataplane.idle_backoff_us);
    rt.workers.push_back(std::move(ctx));
    ++w;
  }
  return true;
}

// Media port link state into the region's global statistics (GlobalStats), for the control
// plane's status API and /metrics. _nowait: a slow PHY must never stall the heartbeat. A port
// whose query fails keeps its old updated_ns, so readers see it go stale (unknown), not down.
void publishLinks(Runtime& rt, bool first) {
  auto* g = static_cast<GlobalStats*>(rt.region.globalStats());
  const uint64_t now = platform::monotonicNs();
  for (uint32_t i = 0; i < rt.ifaces->count; ++i) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(rt.ifaces->ifaces[i].port_id, &link) != 0) {
      continue;
    }
    PortLink& p = g->ports[i];
    const uint32_t up = link.link_status == RTE_ETH_LINK_UP ? 1 : 0;
    const bool none =
        link.link_speed == RTE_ETH_SPEED_NUM_NONE || link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN;
    const uint32_t speed = none ? 0 : link.link_speed;
    if (first || up != p.up) {
      if (!first) {
        bump(p.changes);
      }
      RAMPART_LOG(platform::LogLevel::Info, kLog, "port %u (%s): link %s, %u Mbps", i,
                  rt.ifaces->ifaces[i].realm, up ? "up" : "down", speed);
    }
    publish(p.up, up);
    publish(p.speed_mbps, speed);
    publish(p.full_duplex, link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? 1u : 0u);
    publish(p.autoneg, link.link_autoneg == RTE_ETH_LINK_AUTONEG ? 1u : 0u);
    publish(p.updated_ns, now);
  }
  if (first) {
    g->version = kGlobalStatsVersion;
    g->n_ports = rt.ifaces->count;
    __atomic_store_n(&g->magic, kGlobalStatsMagic, __ATOMIC_RELEASE);
  }
}

// The main lcore's job once everything runs: heartbeat the region and poll link state until
// SIGINT/SIGTERM.
void serveUntilStopped(const platform::Config& cfg, const RunOptions& opt, Runtime& rt) {
  publishLinks(rt, true);
  RAMPART_LOG(platform::LogLevel::Info, kLog, "ready: region %s epoch %llu, %u worker(s)",
              cfg.shm_name.c_str(), static_cast<unsigned long long>(rt.region.epoch()),
              rt.n_workers);
  if (opt.on_ready) {
    opt.on_ready(rt.region, rt.xc_region, *rt.ifaces);
  }
  while (!platform::stopRequested()) {
    rt.region.heartbeat();
    rt.xc_region.heartbeat();
    publishLinks(rt, false);
    platform::waitForStop(200);
  }
  RAMPART_LOG(platform::LogLevel::Info, kLog, "stopping");
}

// Releases whatever was built, in reverse order: workers stop first, the region (keys wiped)
// and EAL last.
void shutDown(const RunOptions& opt, Runtime& rt) {
  if (!rt.eal_up) {
    return;
  }
  if (rt.pool == nullptr) {
    rte_eal_cleanup();
    return;
  }
  if (rt.region.valid()) {
    rt.region.markStopping();
  }
  if (rt.xc_region.valid()) {
    rt.xc_region.markStopping();
  }
  if (opt.on_stop) {
    opt.on_stop();
  }
  g_stop.store(true);
  rte_eal_mp_wait_lcore();
  for (auto& c : rt.workers) {
    lcoreFini(*c);
  }
  rt.steering.reset();
  for (uint32_t i = 0; rt.ifaces != nullptr && i < rt.ifaces->count; ++i) {
    rte_eth_dev_stop(rt.ifaces->ifaces[i].port_id);
    rte_eth_dev_close(rt.ifaces->ifaces[i].port_id);
  }
  rt.region = platform::ShmRegion();  // unlinks the region
  rt.xc_region = platform::ShmRegion();
  rte_mempool_free(rt.pool);
  rte_eal_cleanup();
}

}  // namespace

std::vector<std::string> buildEalArgs(const platform::Config& cfg,
                                      const std::vector<std::string>& extra) {
  std::vector<std::string> args{"rampart-dataplane"};
  const auto& dp = cfg.dataplane;
  args.insert(args.end(), dp.eal_args.begin(), dp.eal_args.end());
  if (!hasLcoreArg(dp.eal_args) && !hasLcoreArg(extra)) {
    std::string l = std::to_string(dp.main_cpu);
    for (int c : dp.worker_cpus) {
      l += "," + std::to_string(c);
    }
    args.push_back("-l");
    args.push_back(l);
    args.push_back("--main-lcore");
    args.push_back(std::to_string(dp.main_cpu));
  }
  for (const auto& r : cfg.realms) {
    for (const auto& d : r.media.devargs) {
      // A PCI address ("0000:03:00.0[,opts]") is a NIC to allow; anything else a vdev.
      bool pci = d.size() >= 12 && d[4] == ':' && d[7] == ':' && d[10] == '.';
      args.push_back(pci ? "-a" : "--vdev");
      args.push_back(d);
    }
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

int runDataplane(const platform::Config& cfg, const RunOptions& opt) {
  Runtime rt;
  bool ok = listPorts(cfg, rt) && startEal(cfg, opt, rt) && createMbufPool(rt) && startPorts(rt) &&
            createSteering(rt) && createRegion(cfg, rt) && launchWorkers(cfg, rt);
  if (ok) {
    serveUntilStopped(cfg, opt, rt);
  }
  shutDown(opt, rt);
  return ok ? 0 : 1;
}

}  // namespace rampart::dp
