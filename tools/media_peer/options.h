#pragma once
// Command line of rampart-media-peer, parsed without side effects so tests can check it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "media_peer/payload.h"
#include "media_peer/tool_util.h"

namespace rampart::tools {

enum class PeerMode { Send, Recv, Both };
enum class RtcpMode { Off, Mux, Separate };

inline constexpr double kMaxDurationS = 600.0;
inline constexpr uint32_t kMaxStreams = 4096;
inline constexpr uint32_t kMaxJitterMs = 1000;

struct PeerOptions {
  std::optional<SockAddr> local;   // base address:port; stream i binds port + i * port_step
  std::optional<SockAddr> remote;  // base address:port of the far end (send, both)
  uint32_t streams = 1;
  uint32_t port_step = 2;    // RTP on even ports leaves port + 1 for separate RTCP
  double duration_s = 10.0;  // sending time; receiving goes on for drain_ms more
  uint32_t drain_ms = 500;
  uint32_t start_delay_ms = 200;  // lets the far end bind before the first packet
  PeerMode mode = PeerMode::Both;
  SrtpSuite suite = SrtpSuite::None;
  std::vector<uint8_t> send_key;  // master key + salt
  std::vector<uint8_t> recv_key;
  uint32_t payload_bytes = 160;
  RtcpMode rtcp = RtcpMode::Off;
  uint32_t rtcp_interval_ms = 1000;
  // Hold each RTCP compound this long after building it (its DLSR already fixed): a one-way
  // path delay for RTCP only, which any RTCP round-trip measurement must see.
  uint32_t rtcp_delay_ms = 0;
  uint32_t ssrc_base = 0x52500000;      // stream i sends SSRC ssrc_base + i
  std::optional<uint32_t> expect_ssrc;  // stream i expects expect_ssrc + i
  uint64_t nonce = 1;
  std::optional<uint8_t> send_tos;
  uint32_t late_ms = 100;     // one-way delay above this counts as late
  uint32_t payload_type = 0;  // PCMU
  // Sender-side impairment (the lab kernel has no netem): drop this share of RTP packets and
  // delay each by a random 0..jitter_ms, from a PRNG seeded by impair_seed (deterministic).
  double loss_pct = 0;
  uint32_t jitter_ms = 0;
  uint64_t impair_seed = 1;
  bool per_stream = false;
  bool quiet = false;

  bool sends() const { return mode != PeerMode::Recv; }
  bool receives() const { return mode != PeerMode::Send; }
};

struct ParseOutcome {
  std::optional<PeerOptions> options;  // set on success
  std::string error;                   // names the offending option
  bool help = false;                   // --help: print usage, exit 0
};

ParseOutcome parsePeerOptions(const std::vector<std::string>& args);
const char* peerUsage();
const char* modeName(PeerMode m);
const char* rtcpModeName(RtcpMode m);

}  // namespace rampart::tools
