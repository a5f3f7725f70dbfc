// Rampart's side of tools/bench-transcode: the rampart-transcoder engine (XcodeSession, the
// code the process runs per packet) transcoding N bidirectional PCMU <-> Opus calls (20 ms,
// Opus 32 kbit/s) on one thread for a stretch of audio. Prints calls per core and the
// per-packet processing time p50/p99.
//   xc_bench [CALLS] [SECONDS]
#include <opus/opus.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "rtp_packet.h"
#include "xcode_session.h"

namespace {

using rampart::abi::XcodeCodec;
using rampart::abi::XcodeCodecId;

uint64_t monoNs() {  // vDSO: cheap enough to time every packet
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

uint64_t cpuNs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

uint8_t ulaw(int16_t s) {
  int sign = (s >> 8) & 0x80;
  int v = sign != 0 ? -static_cast<int>(s) : s;
  v = std::min(v, 32635) + 0x84;
  int exp = 7;
  for (int mask = 0x4000; (v & mask) == 0 && exp > 0; mask >>= 1) {
    --exp;
  }
  return static_cast<uint8_t>(~(sign | (exp << 4) | ((v >> (exp + 3)) & 0x0f)));
}

// One second of 20 ms frames of speech-like audio (a warbling tone): PCMU and Opus packets.
void makeStreams(std::vector<std::vector<uint8_t>>* pcmu, std::vector<std::vector<uint8_t>>* opus) {
  int err = 0;
  OpusEncoder* e = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
  opus_encoder_ctl(e, OPUS_SET_BITRATE(32000));
  for (int f = 0; f < 50; ++f) {
    int16_t pcm48[960];
    std::vector<uint8_t> u(12 + 160);
    for (int i = 0; i < 960; ++i) {
      double t = (f * 960 + i) / 48000.0;
      pcm48[i] =
          static_cast<int16_t>(9000 * std::sin(2 * M_PI * (300 + 200 * std::sin(3 * t)) * t));
    }
    for (int i = 0; i < 160; ++i) {
      u[12 + static_cast<size_t>(i)] = ulaw(pcm48[static_cast<size_t>(i) * 6]);
    }
    std::vector<uint8_t> o(12 + 1500);
    int n = opus_encode(e, pcm48, 960, o.data() + 12, 1500);
    o.resize(12 + static_cast<size_t>(n));
    pcmu->push_back(std::move(u));
    opus->push_back(std::move(o));
  }
  opus_encoder_destroy(e);
}

}  // namespace

int main(int argc, char** argv) {
  int calls = argc > 1 ? std::atoi(argv[1]) : 50;
  int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<std::vector<uint8_t>> pcmu, opus;
  makeStreams(&pcmu, &opus);
  XcodeCodec mu{XcodeCodecId::Pcmu, 0, 1, 20, 8000, 101, 0, 0, 0};
  XcodeCodec op{XcodeCodecId::Opus, 111, 1, 20, 48000, 110, rampart::abi::kXcOpusFec, 32, 0};
  std::vector<std::unique_ptr<rampart::xc::XcodeSession>> up, down;
  for (int c = 0; c < calls; ++c) {
    rampart::abi::XcodeSetup a{};
    a.from = mu;
    a.to = op;
    a.out_ssrc = static_cast<uint32_t>(c + 1);
    rampart::abi::XcodeSetup b = a;
    b.from = op;
    b.to = mu;
    up.push_back(std::move(rampart::xc::XcodeSession::create(a).value()));
    down.push_back(std::move(rampart::xc::XcodeSession::create(b).value()));
  }
  std::vector<uint32_t> lat;
  lat.reserve(static_cast<size_t>(calls) * 100 * static_cast<size_t>(seconds));
  uint64_t t0 = cpuNs();
  for (int f = 0; f < 50 * seconds; ++f) {
    auto& u = pcmu[static_cast<size_t>(f % 50)];
    auto& o = opus[static_cast<size_t>(f % 50)];
    for (int c = 0; c < calls; ++c) {
      rampart::xc::writeRtpHeader(u.data(), false, 0, static_cast<uint16_t>(f), f * 160u, 7);
      rampart::xc::writeRtpHeader(o.data(), false, 111, static_cast<uint16_t>(f), f * 960u, 8);
      uint64_t a = monoNs();
      up[static_cast<size_t>(c)]->onRtp(u.data(), u.size());
      uint64_t b = monoNs();
      down[static_cast<size_t>(c)]->onRtp(o.data(), o.size());
      uint64_t d = monoNs();
      lat.push_back(static_cast<uint32_t>(b - a));
      lat.push_back(static_cast<uint32_t>(d - b));
    }
  }
  double cpu_s = static_cast<double>(cpuNs() - t0) / 1e9;
  std::sort(lat.begin(), lat.end());
  double per_call = cpu_s / (calls * static_cast<double>(seconds));  // core-seconds per call-second
  std::printf("rampart_calls=%d rampart_audio_s=%d rampart_cpu_s=%.3f\n", calls, seconds, cpu_s);
  std::printf("rampart_calls_per_core=%.0f\n", 1.0 / per_call);
  std::printf("rampart_packet_us_p50=%.1f rampart_packet_us_p99=%.1f\n",
              lat[lat.size() / 2] / 1000.0, lat[lat.size() * 99 / 100] / 1000.0);
  return 0;
}
