// Test driver for the dataplane integration tests (not a product tool; rampart-flowctl is).
//
//   dp_tool ctl SHM connect                      handshake, print workers/epoch/flows
//   dp_tool ctl SHM add key=value...             FlowAdd, print the handle
//   dp_tool ctl SHM del HANDLE | query HANDLE | dump
//   dp_tool send --from IP:PORT --to IP:PORT [--suite N --key HEX] [--count N]
//                [--interval-us U] [--ssrc X] [--size BYTES] [--rtcp] [--tag-corrupt]
//                [--first-seq N]
//   dp_tool recv --bind IP:PORT [--suite N --key HEX] [--expect N] [--timeout-ms T]
//                [--ssrc X] [--size BYTES] [--rtcp]
//
// Payloads are a deterministic function of the sequence number, so the receiver checks that
// what arrives after decryption is byte-identical to what was sent. recv prints
// "received=N ok=N bad=N tos=T" and exits 0 when ok >= expect.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <srtp2/srtp.h>

#include <rampart/platform/abi.h>
#include <rampart/platform/dp_client.h>

namespace {

using namespace rampart;

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
};

bool parseEndpoint(const std::string& s, SockAddr* out) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) {
    return false;
  }
  std::string host = s.substr(0, colon);
  int port = std::atoi(s.c_str() + colon + 1);
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&out->ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    out->len = sizeof(*a);
    out->family = AF_INET6;
    return inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) == 1;
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&out->ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(static_cast<uint16_t>(port));
  out->len = sizeof(*a);
  out->family = AF_INET;
  return inet_pton(AF_INET, host.c_str(), &a->sin_addr) == 1;
}

std::vector<uint8_t> hex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::map<std::string, std::string> options(int argc, char** argv, int from) {
  std::map<std::string, std::string> o;
  for (int i = from; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      std::string k = a.substr(2);
      if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
        o[k] = argv[++i];
      } else {
        o[k] = "1";
      }
    } else if (a.find('=') != std::string::npos) {
      o[a.substr(0, a.find('='))] = a.substr(a.find('=') + 1);
    }
  }
  return o;
}

// --- SRTP -------------------------------------------------------------------------------
srtp_t makeSrtp(int suite, const std::vector<uint8_t>& key, bool inbound) {
  if (suite == 0) {
    return nullptr;
  }
  srtp_policy_t p;
  std::memset(&p, 0, sizeof(p));
  switch (suite) {
    case 1:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
    case 2:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
    case 3:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
      break;
    case 4:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
      break;
    default: std::fprintf(stderr, "bad suite %d\n", suite); std::exit(2);
  }
  std::vector<uint8_t> k = key;
  k.resize(64);
  p.key = k.data();
  p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  p.window_size = 1024;
  srtp_t s = nullptr;
  if (srtp_create(&s, &p) != srtp_err_status_ok) {
    std::fprintf(stderr, "srtp_create failed\n");
    std::exit(2);
  }
  return s;
}

std::vector<uint8_t> rtp(uint16_t seq, uint32_t ssrc, size_t size) {
  std::vector<uint8_t> p(size < 12 ? 12 : size);
  p[0] = 0x80;
  p[1] = 0;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  uint32_t ts = seq * 160u;
  for (int i = 0; i < 4; ++i) {
    p[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
    p[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  }
  for (size_t i = 12; i < p.size(); ++i) {
    p[i] = static_cast<uint8_t>(i * 7 + seq);
  }
  return p;
}

std::vector<uint8_t> rtcp(uint32_t ssrc, uint16_t seq) {
  // Receiver report with no blocks plus an APP packet carrying `seq` (so payloads differ).
  std::vector<uint8_t> p = {0x80, 201, 0, 1, 0,   0,   0,   0,   0x80, 204, 0, 3,
                            0,    0,   0, 0, 'R', 'M', 'P', 'T', 0,    0,   0, 0};
  for (int i = 0; i < 4; ++i) {
    p[4 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    p[12 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  }
  p[22] = static_cast<uint8_t>(seq >> 8);
  p[23] = static_cast<uint8_t>(seq);
  return p;
}

int cmdSend(const std::map<std::string, std::string>& o) {
  SockAddr from;
  SockAddr to;
  if (!parseEndpoint(o.at("from"), &from) || !parseEndpoint(o.at("to"), &to)) {
    std::fprintf(stderr, "bad --from/--to\n");
    return 2;
  }
  int fd = socket(from.family, SOCK_DGRAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&from.ss), from.len) != 0) {
    std::perror("bind");
    return 1;
  }
  int suite = o.count("suite") ? std::atoi(o.at("suite").c_str()) : 0;
  srtp_t s = makeSrtp(suite, o.count("key") ? hex(o.at("key")) : std::vector<uint8_t>{}, false);
  int count = o.count("count") ? std::atoi(o.at("count").c_str()) : 10;
  int interval = o.count("interval-us") ? std::atoi(o.at("interval-us").c_str()) : 20000;
  uint32_t ssrc =
      o.count("ssrc") ? static_cast<uint32_t>(std::stoul(o.at("ssrc"), nullptr, 0)) : 0x1234;
  size_t size = o.count("size") ? std::stoul(o.at("size")) : 172;
  int first = o.count("first-seq") ? std::atoi(o.at("first-seq").c_str()) : 1;
  bool is_rtcp = o.count("rtcp") != 0;
  bool corrupt = o.count("tag-corrupt") != 0;
  for (int i = 0; i < count; ++i) {
    auto seq = static_cast<uint16_t>(first + i);
    std::vector<uint8_t> p = is_rtcp ? rtcp(ssrc, seq) : rtp(seq, ssrc, size);
    int len = static_cast<int>(p.size());
    p.resize(p.size() + SRTP_MAX_TRAILER_LEN + 4);
    if (s != nullptr) {
      srtp_err_status_t st =
          is_rtcp ? srtp_protect_rtcp(s, p.data(), &len) : srtp_protect(s, p.data(), &len);
      if (st != srtp_err_status_ok) {
        std::fprintf(stderr, "protect failed %d\n", st);
        return 1;
      }
      if (corrupt) {
        p[static_cast<size_t>(len) - 1] ^= 0x55;
      }
    }
    sendto(fd, p.data(), static_cast<size_t>(len), 0, reinterpret_cast<sockaddr*>(&to.ss), to.len);
    if (interval > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(interval));
    }
  }
  std::printf("sent=%d\n", count);
  return 0;
}

int cmdRecv(const std::map<std::string, std::string>& o) {
  SockAddr b;
  if (!parseEndpoint(o.at("bind"), &b)) {
    return 2;
  }
  int fd = socket(b.family, SOCK_DGRAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (b.family == AF_INET) {
    setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&b.ss), b.len) != 0) {
    std::perror("bind");
    return 1;
  }
  int suite = o.count("suite") ? std::atoi(o.at("suite").c_str()) : 0;
  srtp_t s = makeSrtp(suite, o.count("key") ? hex(o.at("key")) : std::vector<uint8_t>{}, true);
  int expect = o.count("expect") ? std::atoi(o.at("expect").c_str()) : 10;
  int timeout = o.count("timeout-ms") ? std::atoi(o.at("timeout-ms").c_str()) : 5000;
  uint32_t ssrc =
      o.count("ssrc") ? static_cast<uint32_t>(std::stoul(o.at("ssrc"), nullptr, 0)) : 0x1234;
  size_t size = o.count("size") ? std::stoul(o.at("size")) : 172;
  bool is_rtcp = o.count("rtcp") != 0;
  int received = 0;
  int ok = 0;
  int bad = 0;
  int tos = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout);
  while (ok < expect) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      break;
    }
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left)) <= 0) {
      continue;
    }
    uint8_t buf[4096];
    uint8_t cbuf[256];
    iovec iov{buf, sizeof(buf)};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof(cbuf);
    ssize_t n = recvmsg(fd, &mh, 0);
    if (n <= 0) {
      continue;
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
      if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) ||
          (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)) {
        tos = c->cmsg_type == IP_TOS ? *CMSG_DATA(c) : *reinterpret_cast<int*>(CMSG_DATA(c));
      }
    }
    ++received;
    int len = static_cast<int>(n);
    if (s != nullptr) {
      srtp_err_status_t st =
          is_rtcp ? srtp_unprotect_rtcp(s, buf, &len) : srtp_unprotect(s, buf, &len);
      if (st != srtp_err_status_ok) {
        ++bad;
        continue;
      }
    }
    uint16_t seq = is_rtcp ? static_cast<uint16_t>((buf[22] << 8) | buf[23])
                           : static_cast<uint16_t>((buf[2] << 8) | buf[3]);
    auto want = is_rtcp ? rtcp(ssrc, seq) : rtp(seq, ssrc, size);
    if (static_cast<size_t>(len) == want.size() &&
        std::memcmp(buf, want.data(), want.size()) == 0) {
      ++ok;
    } else {
      ++bad;
    }
  }
  std::printf("received=%d ok=%d bad=%d tos=%d\n", received, ok, bad, tos);
  return ok >= expect ? 0 : 1;
}

// --- control ------------------------------------------------------------------------------
bool parseAddr(const std::string& s, uint8_t* out16, bool* v6) {
  std::memset(out16, 0, 16);
  *v6 = s.find(':') != std::string::npos;
  return inet_pton(*v6 ? AF_INET6 : AF_INET, s.c_str(), out16) == 1;
}

int cmdCtl(int argc, char** argv) {
  if (argc < 4) {
    return 2;
  }
  std::string shm = argv[2];
  std::string what = argv[3];
  auto client = platform::DataplaneClient::connect(shm, 3000);
  if (!client) {
    std::fprintf(stderr, "connect: %s\n", client.error().message.c_str());
    return 1;
  }
  if (what == "connect") {
    std::printf("workers=%u epoch=%llu flows=%u\n", client->workers(),
                static_cast<unsigned long long>(client->epoch()),
                client->flowsAtHandshake().empty() ? 0 : client->flowsAtHandshake()[0]);
    return 0;
  }
  if (what == "add") {
    auto o = options(argc, argv, 4);
    abi::FlowAdd f{};
    f.hdr.type = abi::MsgType::FlowAdd;
    f.hdr.size = sizeof(f);
    f.in_port = static_cast<uint16_t>(std::stoi(o["in_port"]));
    f.out_port = static_cast<uint16_t>(std::stoi(o["out_port"]));
    bool v6 = false;
    parseAddr(o["in_local"], f.in_local.addr, &v6);
    if (v6) {
      f.flags |= abi::kFlowIpv6;
    }
    parseAddr(o.count("in_remote") ? o["in_remote"] : (v6 ? "::" : "0.0.0.0"), f.in_remote.addr,
              &v6);
    parseAddr(o["out_local"], f.out_local.addr, &v6);
    if (v6) {
      f.flags |= abi::kFlowOutIpv6;
    }
    parseAddr(o["out_remote"], f.out_remote.addr, &v6);
    f.in_local.port = static_cast<uint16_t>(std::stoi(o["in_lport"]));
    f.in_remote.port = static_cast<uint16_t>(std::stoi(o.count("in_rport") ? o["in_rport"] : "0"));
    f.out_local.port = static_cast<uint16_t>(std::stoi(o["out_lport"]));
    f.out_remote.port = static_cast<uint16_t>(std::stoi(o["out_rport"]));
    if (o.count("out_rtcp_lport")) {
      f.out_rtcp_local_port = static_cast<uint16_t>(std::stoi(o["out_rtcp_lport"]));
      f.out_rtcp_remote_port = static_cast<uint16_t>(std::stoi(o["out_rtcp_rport"]));
    }
    f.dscp = o.count("dscp") ? static_cast<uint8_t>(std::stoi(o["dscp"])) : abi::kDscpRealmDefault;
    if (o.count("mux"))
      f.flags |= abi::kFlowRtcpMuxIn;
    if (o.count("rtcp_only"))
      f.flags |= abi::kFlowRtcpOnly;
    if (o.count("latch")) {
      f.flags |= abi::kFlowLatch;
      f.latch_window_ms = static_cast<uint16_t>(std::stoi(o["latch"]));
    }
    if (o.count("video"))
      f.flags |= abi::kFlowVideo;
    if (o.count("await"))
      f.flags |= abi::kFlowAwaitKeys;
    if (o.count("modify")) {  // FlowModify of that handle (same body as FlowAdd)
      f.hdr.type = abi::MsgType::FlowModify;
      f.hdr.flow = std::stoull(o["modify"]);
    }
    if (o.count("ssrc_rewrite"))
      f.ssrc_rewrite = static_cast<uint32_t>(std::stoul(o["ssrc_rewrite"], nullptr, 0));
    if (o.count("idle"))
      f.idle_timeout_s = static_cast<uint16_t>(std::stoi(o["idle"]));
    for (auto [name, params] : {std::pair{"in", &f.srtp_in}, std::pair{"out", &f.srtp_out}}) {
      std::string sk = std::string(name) + "_suite";
      if (o.count(sk)) {
        params->suite = static_cast<abi::SrtpSuite>(std::stoi(o[sk]));
        auto k = hex(o[std::string(name) + "_key"]);
        params->key_len = static_cast<uint8_t>(k.size());
        std::memcpy(params->key, k.data(), k.size());
      }
    }
    f.cookie = o.count("cookie") ? std::stoull(o["cookie"]) : 1;
    uint32_t worker = o.count("worker") ? static_cast<uint32_t>(std::stoi(o["worker"])) : 0;
    auto ack = client->call(worker, f.hdr, 2000);
    if (!ack) {
      std::fprintf(stderr, "add: %s\n", ack.error().message.c_str());
      return 1;
    }
    if (ack->status != abi::kOk) {
      std::fprintf(stderr, "add refused: status %d\n", ack->status);
      return 1;
    }
    std::printf("%llu\n", static_cast<unsigned long long>(ack->hdr.flow));
    return 0;
  }
  if (what == "del" && argc > 4) {
    abi::FlowDel d{};
    d.hdr.type = abi::MsgType::FlowDel;
    d.hdr.size = sizeof(d);
    d.hdr.flow = std::stoull(argv[4]);
    auto ack = client->call(0, d.hdr, 2000);
    if (!ack || ack->status != abi::kOk) {
      std::fprintf(stderr, "del failed\n");
      return 1;
    }
    return 0;
  }
  if (what == "query" && argc > 4) {
    auto info = client->query(0, std::stoull(argv[4]), 2000);
    if (!info) {
      std::fprintf(stderr, "query: %s\n", info.error().message.c_str());
      return 1;
    }
    std::printf(
        "packets=%llu bytes=%llu drops=%llu lost=%u jitter=%u ssrc=0x%x remote_port=%u "
        "srtp_in_engine=%u srtp_in_roc=%u srtp_in_seq=%u srtp_out_engine=%u srtp_out_roc=%u "
        "srtp_out_seq=%u\n",
        static_cast<unsigned long long>(info->packets),
        static_cast<unsigned long long>(info->bytes), static_cast<unsigned long long>(info->drops),
        info->rtp_lost, info->jitter_ts, info->ssrc_in, info->in_remote.port, info->srtp_in_engine,
        info->srtp_in_roc, info->srtp_in_seq, info->srtp_out_engine, info->srtp_out_roc,
        info->srtp_out_seq);
    return 0;
  }
  if (what == "dump") {
    auto flows = client->dump(0, 3000);
    if (!flows) {
      std::fprintf(stderr, "dump: %s\n", flows.error().message.c_str());
      return 1;
    }
    std::printf("flows=%zu\n", flows->size());
    for (const auto& f : *flows) {
      std::printf("flow=%llu cookie=%llu port=%u packets=%llu\n",
                  static_cast<unsigned long long>(f.hdr.flow),
                  static_cast<unsigned long long>(f.cookie), f.in_local.port,
                  static_cast<unsigned long long>(f.packets));
    }
    return 0;
  }
  if (what == "punt-echo") {
    // Control-plane side of ICE/DTLS in miniature: wait (up to 3 s) for one punted packet,
    // print what it was, and inject its payload back to the sender from the same port.
    std::vector<uint8_t> buf(abi::kPacketSlotSize);
    for (int i = 0; i < 300; ++i) {
      if (client->takePunted(0, buf.data(), 1) == 1) {
        abi::PacketSlot in;
        std::memcpy(&in, buf.data(), sizeof(in));
        std::printf("punted kind=%u len=%u from_port=%u flow=%llu\n", in.kind, in.len,
                    in.remote.port, static_cast<unsigned long long>(in.flow));
        abi::PacketSlot out = in;
        out.local = in.local;
        out.remote = in.remote;
        if (!client->inject(0, out, buf.data() + sizeof(in))) {
          std::fprintf(stderr, "inject ring full\n");
          return 1;
        }
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::fprintf(stderr, "nothing punted\n");
    return 1;
  }
  if (what == "events") {
    // Waits (3 s, or argv[4] seconds) and prints the events seen.
    const int rounds = argc > 4 ? std::atoi(argv[4]) * 10 : 30;
    for (int i = 0; i < rounds; ++i) {
      for (uint32_t w = 0; w < client->workers(); ++w) {
        client->pollEvents(
            w,
            [](const platform::EventView& e) {
              std::printf("event=%s flow=%llu", abi::msgTypeName(e.header.type),
                          static_cast<unsigned long long>(e.header.flow));
              if (e.header.type == abi::MsgType::IceSelected && e.wellFormed()) {
                auto s = e.as<abi::IceSelected>();
                char a[INET6_ADDRSTRLEN] = {};
                inet_ntop(s.family == 4 ? AF_INET : AF_INET6, s.remote.addr, a, sizeof(a));
                std::printf(" remote=%s:%u", a, s.remote.port);
              } else if (e.header.type == abi::MsgType::ConsentExpired && e.wellFormed()) {
                std::printf(" silent_s=%u", e.as<abi::ConsentExpired>().silent_s);
              }
              std::printf("\n");
              std::fflush(stdout);
              return true;
            },
            1024);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return 0;
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: dp_tool ctl|send|recv ...\n");
    return 2;
  }
  std::string mode = argv[1];
  if (mode == "ctl") {
    return cmdCtl(argc, argv);
  }
  srtp_init();
  auto o = options(argc, argv, 2);
  if (mode == "send") {
    return cmdSend(o);
  }
  if (mode == "recv") {
    return cmdRecv(o);
  }
  return 2;
}
