#include "flowctl/flowctl_output.h"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace rampart::tools {
namespace {

std::string handleText(uint64_t h) {
  const abi::FlowHandle fh = abi::unpackHandle(h);
  return std::to_string(h) + " (index " + std::to_string(fh.index) + ", gen " +
         std::to_string(fh.generation) + ")";
}

bool isV6(const abi::FlowInfo& f) { return (f.flags & abi::kFlowIpv6) != 0; }

}  // namespace

std::string endpointText(const abi::Endpoint& e, bool ipv6) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ipv6 ? AF_INET6 : AF_INET, e.addr, buf, sizeof(buf));
  return ipv6 ? "[" + std::string(buf) + "]:" + std::to_string(e.port)
              : std::string(buf) + ":" + std::to_string(e.port);
}

std::string flagsText(uint16_t flags) {
  std::string out;
  const std::pair<uint16_t, const char*> names[] = {
      {abi::kFlowLatch, "latch"},        {abi::kFlowRtcpMuxIn, "rtcp-mux-in"},
      {abi::kFlowRtcpOnly, "rtcp-only"}, {abi::kFlowIpv6, "ipv6"},
      {abi::kFlowVideo, "video"},        {abi::kFlowOutIpv6, "out-ipv6"},
  };
  for (const auto& [bit, name] : names) {
    if ((flags & bit) != 0) {
      out += out.empty() ? "" : ",";
      out += name;
    }
  }
  return out.empty() ? "-" : out;
}

namespace {

// FlowInfo's SRTP engine of one direction (abi::kSrtpEngine*).
const char* engineText(uint8_t engine) {
  switch (engine) {
    case abi::kSrtpEngineFast: return "fast";
    case abi::kSrtpEngineLibsrtp: return "libsrtp";
    default: return "none";
  }
}

}  // namespace

std::string flowJson(const WorkerFlow& wf) {
  const abi::FlowInfo& f = wf.info;
  const abi::FlowHandle h = abi::unpackHandle(f.hdr.flow);
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "{\"worker\":%u,\"handle\":%llu,\"index\":%u,\"generation\":%u,\"cookie\":%llu,"
                "\"in_port\":%u,\"flags\":\"%s\",\"in_local\":\"%s\",\"in_remote\":\"%s\","
                "\"ssrc_in\":%u,\"packets\":%llu,\"bytes\":%llu,\"drops\":%llu,"
                "\"last_seen_ns\":%llu,\"rtp_lost\":%u,\"jitter_ts\":%u,"
                "\"srtp_in\":{\"engine\":\"%s\",\"ssrc\":%u,\"roc\":%u,\"seq\":%u},"
                "\"srtp_out\":{\"engine\":\"%s\",\"ssrc\":%u,\"roc\":%u,\"seq\":%u}}",
                wf.worker, static_cast<unsigned long long>(f.hdr.flow), h.index, h.generation,
                static_cast<unsigned long long>(f.cookie), f.in_port, flagsText(f.flags).c_str(),
                endpointText(f.in_local, isV6(f)).c_str(),
                endpointText(f.in_remote, isV6(f)).c_str(), f.ssrc_in,
                static_cast<unsigned long long>(f.packets),
                static_cast<unsigned long long>(f.bytes), static_cast<unsigned long long>(f.drops),
                static_cast<unsigned long long>(f.last_seen_ns), f.rtp_lost, f.jitter_ts,
                engineText(f.srtp_in_engine), f.srtp_in_ssrc, f.srtp_in_roc, f.srtp_in_seq,
                engineText(f.srtp_out_engine), f.srtp_out_ssrc, f.srtp_out_roc, f.srtp_out_seq);
  return buf;
}

void printFlowTable(std::FILE* out, const std::vector<WorkerFlow>& flows) {
  std::fprintf(out, "%-3s %-20s %-10s %-4s %-24s %-24s %-10s %10s %12s %8s %7s %7s %s\n", "W",
               "HANDLE", "COOKIE", "PORT", "IN-LOCAL", "IN-REMOTE", "SSRC", "PACKETS", "BYTES",
               "DROPS", "LOST", "JITTER", "FLAGS");
  for (const WorkerFlow& wf : flows) {
    const abi::FlowInfo& f = wf.info;
    std::fprintf(
        out, "%-3u %-20llu %-10llu %-4u %-24s %-24s 0x%08x %10llu %12llu %8llu %7u %7u %s\n",
        wf.worker, static_cast<unsigned long long>(f.hdr.flow),
        static_cast<unsigned long long>(f.cookie), f.in_port,
        endpointText(f.in_local, isV6(f)).c_str(), endpointText(f.in_remote, isV6(f)).c_str(),
        f.ssrc_in, static_cast<unsigned long long>(f.packets),
        static_cast<unsigned long long>(f.bytes), static_cast<unsigned long long>(f.drops),
        f.rtp_lost, f.jitter_ts, flagsText(f.flags).c_str());
  }
}

void printFlowDetail(std::FILE* out, const WorkerFlow& wf) {
  const abi::FlowInfo& f = wf.info;
  std::fprintf(out, "worker:       %u\n", wf.worker);
  std::fprintf(out, "handle:       %s\n", handleText(f.hdr.flow).c_str());
  std::fprintf(out, "cookie:       %llu\n", static_cast<unsigned long long>(f.cookie));
  std::fprintf(out, "in port:      %u\n", f.in_port);
  std::fprintf(out, "in local:     %s\n", endpointText(f.in_local, isV6(f)).c_str());
  std::fprintf(out, "in remote:    %s\n", endpointText(f.in_remote, isV6(f)).c_str());
  std::fprintf(out, "flags:        %s\n", flagsText(f.flags).c_str());
  std::fprintf(out, "ssrc in:      0x%08x\n", f.ssrc_in);
  std::fprintf(out, "packets:      %llu\n", static_cast<unsigned long long>(f.packets));
  std::fprintf(out, "bytes:        %llu\n", static_cast<unsigned long long>(f.bytes));
  std::fprintf(out, "drops:        %llu\n", static_cast<unsigned long long>(f.drops));
  std::fprintf(out, "rtp lost:     %u\n", f.rtp_lost);
  std::fprintf(out, "jitter (ts):  %u\n", f.jitter_ts);
  std::fprintf(out, "last seen ns: %llu\n", static_cast<unsigned long long>(f.last_seen_ns));
  // RFC 3711 stream state: what another node needs to resume the stream.
  std::fprintf(out, "srtp in:      %s ssrc 0x%08x roc %u seq %u\n", engineText(f.srtp_in_engine),
               f.srtp_in_ssrc, f.srtp_in_roc, f.srtp_in_seq);
  std::fprintf(out, "srtp out:     %s ssrc 0x%08x roc %u seq %u\n", engineText(f.srtp_out_engine),
               f.srtp_out_ssrc, f.srtp_out_roc, f.srtp_out_seq);
}

}  // namespace rampart::tools
