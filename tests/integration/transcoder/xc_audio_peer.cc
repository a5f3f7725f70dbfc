// xc_audio_peer: one end of a transcoded call for the integration tests. Sends a known signal
// (a tone sweep, or a WAV file such as espeak-ng speech) as RTP in its codec, paced every
// 20 ms, and at the same time receives the other end's signal, decodes it, aligns it with that
// signal and prints one JSON line: packets, correlation, SNR and lag.
//
//   xc_audio_peer --local IP:PORT --remote IP:PORT --send CODEC:PT --recv CODEC:PT
//                 --signal sweep|WAV --ref sweep|WAV [--seconds N] [--fec-loss PCT]
//                 [--drop-pct PCT]   (loss induced by the peer on what it sends and receives)
//                 [--events-pt PT]   (RFC 4733 events received with that PT, listed in the JSON)
//                 [--send-events PT:KEYS]  (RFC 4733 events sent from 3 s on, 100 ms each,
//                                           100 ms apart, in place of the audio packets)
// A signal of dtmf:KEYS sends those keys as in-band tones (100 ms each, 100 ms apart).
// CODEC: opus, pcmu, pcma or g722 (G.711 from audio_check.cc's tables, Opus from libopus,
// G.722 from FFmpeg's libavcodec).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <opus/opus.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "audio_check.h"
#include "codec.h"
#include "resampler.h"
#include "rtp_packet.h"

namespace {

using rampart::xc::Resampler;
namespace t = rampart::xc::test;

struct Codec {
  std::string name;
  int pt = 0;
};
struct Options {
  sockaddr_in local{};
  sockaddr_in remote{};
  Codec send, recv;
  std::string signal = "sweep", ref = "sweep";
  double seconds = 3;
  int fec_loss = 0;  // Opus: expected loss in percent; > 0 adds in-band FEC (as browsers do)
  int drop_pct = 0;  // loss induced here, both ways, when the kernel has no netem
  int events_pt = -1;
  int send_events_pt = -1;
  std::string send_events;
};

// A deterministic 1-in-N style loss pattern (xorshift), the same on every run.
bool dropNow(int pct) {
  static uint32_t x = 2463534242u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return pct > 0 && static_cast<int>(x % 100) < pct;
}

bool parseAddr(const std::string& v, sockaddr_in* a) {
  auto c = v.rfind(':');
  a->sin_family = AF_INET;
  a->sin_port = htons(static_cast<uint16_t>(std::stoi(v.substr(c + 1))));
  return c != std::string::npos && inet_pton(AF_INET, v.substr(0, c).c_str(), &a->sin_addr) == 1;
}

Codec parseCodec(const std::string& v) {
  auto c = v.find(':');
  return {v.substr(0, c), std::stoi(v.substr(c + 1))};
}

// A 16-bit mono WAV (espeak-ng writes 22050 Hz): samples and rate.
std::vector<int16_t> readWav(const std::string& path, int* rate) {
  std::ifstream f(path, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<int16_t> out;
  for (size_t p = 12; p + 8 <= b.size();) {
    uint32_t len = 0;
    std::memcpy(&len, &b[p + 4], 4);
    if (std::memcmp(&b[p], "fmt ", 4) == 0) {
      std::memcpy(rate, &b[p + 12], 4);
    } else if (std::memcmp(&b[p], "data", 4) == 0) {
      len = static_cast<uint32_t>(std::min<size_t>(len, b.size() - p - 8));
      out.resize(len / 2);
      std::memcpy(out.data(), &b[p + 8], out.size() * 2);
      break;
    }
    p += 8 + len + (len & 1);
  }
  return out;
}

// The signal at `rate`: the sweep made there, a WAV resampled with libswresample.
std::vector<int16_t> dtmfKeys(const std::string& keys, int* rate) {
  *rate = 8000;
  std::vector<int16_t> pcm(1600, 0);
  for (char k : keys) {
    auto tone = t::dtmfKey(k, 100);
    pcm.insert(pcm.end(), tone.begin(), tone.end());
    pcm.insert(pcm.end(), 800, 0);
  }
  return pcm;
}

std::vector<int16_t> signalAt(const std::string& what, int rate, double seconds) {
  if (what == "sweep") {
    return t::toneSweep(rate, seconds, 200, 3400, 12000);
  }
  int in_rate = 0;
  auto pcm = what.rfind("dtmf:", 0) == 0 ? dtmfKeys(what.substr(5), &in_rate)
                                         : readWav(what, &in_rate);
  pcm.resize(std::max(pcm.size(), static_cast<size_t>(in_rate * seconds)));
  auto rs = Resampler::create(in_rate, rate);
  std::vector<int16_t> out(pcm.size() * static_cast<size_t>(rate) / static_cast<size_t>(in_rate) + 4096);
  int n = rs.value().convert(pcm.data(), static_cast<int>(pcm.size()), out.data(),
                             static_cast<int>(out.size()));
  out.resize(static_cast<size_t>(n));
  out.resize(std::min(out.size(), static_cast<size_t>(rate * seconds)));
  return out;
}

struct Sender {
  OpusEncoder* enc = nullptr;
  std::unique_ptr<rampart::xc::Encoder> g722;  // FFmpeg's, as no other G.722 is at hand
  std::vector<int16_t> pcm;  // at the codec's rate
  int frame = 160;
  uint32_t ts_step = 160;
  size_t pos = 0;
  uint16_t seq = 100;
  uint32_t ts = 5000;
  uint32_t tick = 0;  // 20 ms packets sent so far
};

// The telephone-event packet due at this tick instead of audio (false: send audio). Key k
// plays from tick 150 + 10k for 5 ticks (100 ms), then its end is sent three times.
bool eventPacket(const Options& o, Sender& s, std::vector<uint8_t>* pkt) {
  if (o.send_events_pt < 0 || s.tick < 150) {
    return false;
  }
  uint32_t k = (s.tick - 150) / 10;
  uint32_t at = (s.tick - 150) % 10;
  if (k >= o.send_events.size() || at >= 8) {
    return false;
  }
  static constexpr char kKeys[] = "0123456789*#ABCD";
  const char* p = std::strchr(kKeys, o.send_events[k]);
  uint32_t step = s.ts_step;
  uint32_t dur = std::min<uint32_t>(at + 1, 5) * step;
  uint8_t ev[4] = {static_cast<uint8_t>(p != nullptr ? p - kKeys : 0),
                   static_cast<uint8_t>((at >= 5 ? 0x80 : 0) | 10), static_cast<uint8_t>(dur >> 8),
                   static_cast<uint8_t>(dur)};
  pkt->assign(16, 0);
  uint32_t start_ts = s.ts - at * step;
  rampart::xc::writeRtpHeader(pkt->data(), at == 0, static_cast<uint8_t>(o.send_events_pt),
                              s.seq++, start_ts, 0x5eed0000u | static_cast<uint32_t>(o.send.pt));
  std::memcpy(pkt->data() + 12, ev, 4);
  return true;
}

Sender makeSender(const Options& o) {
  Sender s;
  bool opus = o.send.name == "opus";
  bool g722 = o.send.name == "g722";
  int rate = opus ? 48000 : (g722 ? 16000 : 8000);
  s.pcm = signalAt(o.signal, rate, o.seconds);
  s.frame = rate / 50;
  s.ts_step = opus ? 960 : 160;  // G.722's RTP clock is 8000 (RFC 3551)
  if (g722) {
    s.g722 = std::move(rampart::xc::makeAvEncoder(rampart::abi::XcodeCodecId::G722, 20).value());
  }
  if (opus) {
    int err = 0;
    s.enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    opus_encoder_ctl(s.enc, OPUS_SET_BITRATE(32000));
    opus_encoder_ctl(s.enc, OPUS_SET_INBAND_FEC(o.fec_loss > 0 ? 1 : 0));
    opus_encoder_ctl(s.enc, OPUS_SET_PACKET_LOSS_PERC(o.fec_loss));
  }
  return s;
}

// The next 20 ms packet. @return false at the end of the signal.
bool nextPacket(const Options& o, Sender& s, std::vector<uint8_t>* pkt) {
  if (s.pos + static_cast<size_t>(s.frame) > s.pcm.size()) {
    return false;
  }
  bool event = eventPacket(o, s, pkt);
  ++s.tick;
  if (event) {
    s.ts += s.ts_step;
    s.pos += static_cast<size_t>(s.frame);
    return true;
  }
  pkt->assign(12 + 1500, 0);
  int n = 0;
  if (s.enc != nullptr) {
    n = opus_encode(s.enc, s.pcm.data() + s.pos, s.frame, pkt->data() + 12, 1500);
  } else if (s.g722 != nullptr) {
    n = s.g722->encode(s.pcm.data() + s.pos, pkt->data() + 12, 1500);
  } else {
    bool alaw = o.send.name == "pcma";
    for (int i = 0; i < s.frame; ++i) {
      int16_t v = s.pcm[s.pos + static_cast<size_t>(i)];
      (*pkt)[12 + static_cast<size_t>(i)] = alaw ? t::alawEncode(v) : t::ulawEncode(v);
    }
    n = s.frame;
  }
  rampart::xc::writeRtpHeader(pkt->data(), s.pos == 0, static_cast<uint8_t>(o.send.pt), s.seq++,
                              s.ts, 0x5eed0000u | static_cast<uint32_t>(o.send.pt));
  s.ts += s.ts_step;
  s.pos += static_cast<size_t>(s.frame);
  pkt->resize(12 + static_cast<size_t>(n > 0 ? n : 0));
  return true;
}

struct Receiver {
  OpusDecoder* dec = nullptr;
  std::unique_ptr<rampart::xc::Decoder> g722;
  Resampler to8k;  // G.722's 16 kHz output
  bool alaw = false;
  std::vector<int16_t> pcm;  // 8 kHz, placed by RTP timestamp
  bool have_first = false;
  uint32_t first_ts = 0;
  uint32_t clock = 8000;
  uint64_t packets = 0;
  uint16_t next_seq = 0;
  std::string events;  // RFC 4733 events received, one character per event
  int event_ends = 0;  // packets with the E bit
  bool have_event = false;
  uint32_t event_ts = 0;
  // Sequence numbers seen on the stream, events and audio together: a number seen twice means
  // two packets of one stream collided (events played in without shifting the relayed ones).
  std::vector<bool> seq_seen = std::vector<bool>(65536, false);
  int seq_dups = 0;
};

// A telephone-event: a new timestamp is a new event (RFC 4733 2.5.1.1).
void receiveEvent(Receiver& r, const rampart::xc::RtpView& v) {
  if (v.payload_len < 4 || v.payload[0] > 15) {
    return;
  }
  if (!r.have_event || v.ts != r.event_ts) {
    r.have_event = true;
    r.event_ts = v.ts;
    r.events.push_back("0123456789*#ABCD"[v.payload[0]]);
  }
  r.event_ends += (v.payload[1] & 0x80) != 0 ? 1 : 0;
}

void place(Receiver& r, size_t at, const int16_t* pcm, int n) {
  if (n > 0 && at < 8000u * 120) {
    r.pcm.resize(std::max(r.pcm.size(), at + static_cast<size_t>(n)));
    std::memcpy(r.pcm.data() + at, pcm, static_cast<size_t>(n) * 2);
  }
}

// A browser conceals what it lost: Opus PLC, and the last lost frame from the in-band FEC of
// the packet that follows it when there is one.
void concealOpus(Receiver& r, const rampart::xc::RtpView& v, size_t at) {
  auto lost = static_cast<uint16_t>(v.seq - r.next_seq);
  if (r.dec == nullptr || r.packets == 1 || lost == 0 || lost > 10) {
    return;
  }
  int16_t pcm[5760];
  for (int i = lost; i >= 1; --i) {
    int fec = i == 1 ? 1 : 0;
    int n = opus_decode(r.dec, fec != 0 ? v.payload : nullptr,
                        fec != 0 ? static_cast<opus_int32>(v.payload_len) : 0, pcm, 160, fec);
    size_t pos = at >= static_cast<size_t>(160 * i) ? at - static_cast<size_t>(160 * i) : 0;
    place(r, pos, pcm, n);
  }
}

void receive(const Options& o, Receiver& r, const uint8_t* p, size_t len) {
  rampart::xc::RtpView v{};
  if (!rampart::xc::parseRtp(p, len, &v)) {
    return;
  }
  r.seq_dups += r.seq_seen[v.seq] ? 1 : 0;
  r.seq_seen[v.seq] = true;
  if (static_cast<int>(v.pt) == o.events_pt) {
    receiveEvent(r, v);
    return;
  }
  if (v.pt != o.recv.pt) {
    return;
  }
  ++r.packets;
  if (!r.have_first) {
    r.have_first = true;
    r.first_ts = v.ts;
  }
  auto at = static_cast<size_t>((v.ts - r.first_ts) / (r.clock / 8000));
  concealOpus(r, v, at);
  r.next_seq = static_cast<uint16_t>(v.seq + 1);
  int16_t pcm[5760];
  int n = 0;
  if (r.dec != nullptr) {
    n = opus_decode(r.dec, v.payload, static_cast<opus_int32>(v.payload_len), pcm, 5760, 0);
  } else if (r.g722 != nullptr) {
    int16_t wide[5760];
    int w = r.g722->decode(v.payload, v.payload_len, wide);
    n = w > 0 ? r.to8k.convert(wide, w, pcm, 5760) : 0;
  } else {
    for (size_t i = 0; i < v.payload_len && i < 5760; ++i) {
      pcm[i] = r.alaw ? t::alawDecode(v.payload[i]) : t::ulawDecode(v.payload[i]);
    }
    n = static_cast<int>(std::min<size_t>(v.payload_len, 5760));
  }
  place(r, at, pcm, n);
}

uint64_t nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Sends every 20 ms and receives in between, then keeps receiving for 1.5 s.
void run(const Options& o, int fd, Sender& s, Receiver& r, uint64_t* sent) {
  uint64_t next = nowNs();
  uint64_t end = 0;
  std::vector<uint8_t> pkt;
  uint8_t buf[2048];
  while (end == 0 || nowNs() < end) {
    uint64_t now = nowNs();
    if (end == 0 && now >= next) {
      if (nextPacket(o, s, &pkt)) {
        if (!dropNow(o.drop_pct))
        sendto(fd, pkt.data(), pkt.size(), 0, reinterpret_cast<const sockaddr*>(&o.remote),
               sizeof o.remote);
        ++*sent;
        next += 20000000ull;
      } else {
        end = now + 1500000000ull;
      }
    }
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 2) > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n > 0 && !dropNow(o.drop_pct)) {
        receive(o, r, buf, static_cast<size_t>(n));
      }
    }
  }
}

bool parse(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--local" && !parseAddr(v, &o->local)) return false;
    if (k == "--remote" && !parseAddr(v, &o->remote)) return false;
    if (k == "--send") o->send = parseCodec(v);
    if (k == "--recv") o->recv = parseCodec(v);
    if (k == "--signal") o->signal = v;
    if (k == "--ref") o->ref = v;
    if (k == "--seconds") o->seconds = std::stod(v);
    if (k == "--fec-loss") o->fec_loss = std::stoi(v);
    if (k == "--drop-pct") o->drop_pct = std::stoi(v);
    if (k == "--events-pt") o->events_pt = std::stoi(v);
    if (k == "--send-events") {
      o->send_events_pt = std::stoi(v.substr(0, v.find(':')));
      o->send_events = v.substr(v.find(':') + 1);
    }
  }
  return o->local.sin_port != 0 && o->remote.sin_port != 0 && !o->send.name.empty() &&
         !o->recv.name.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, &o)) {
    std::fprintf(stderr, "usage: xc_audio_peer --local IP:PORT --remote IP:PORT --send C:PT "
                         "--recv C:PT [--signal sweep|WAV] [--ref sweep|WAV] [--seconds N]\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&o.local), sizeof o.local) != 0) {
    std::perror("bind");
    return 1;
  }
  Sender s = makeSender(o);
  Receiver r;
  if (o.recv.name == "opus") {
    int err = 0;
    r.dec = opus_decoder_create(8000, 1, &err);
    r.clock = 48000;
  } else if (o.recv.name == "g722") {
    r.g722 = std::move(rampart::xc::makeAvDecoder(rampart::abi::XcodeCodecId::G722).value());
    r.to8k = std::move(Resampler::create(16000, 8000).value());
  }
  r.alaw = o.recv.name == "pcma";
  uint64_t sent = 0;
  run(o, fd, s, r, &sent);
  auto ref = signalAt(o.ref, 8000, o.seconds);
  // The first 200 ms are skipped (codec start-up); lags up to 250 ms are searched.
  t::Match m = t::compare(ref, r.pcm, 2000, 1600);
  std::printf("{\"sent\":%llu,\"received\":%llu,\"samples\":%zu,\"corr\":%.3f,\"snr_db\":%.1f,"
              "\"lag_ms\":%.1f,\"events\":\"%s\",\"event_ends\":%d,\"seq_dups\":%d}\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(r.packets),
              r.pcm.size(), m.corr, m.snr_db, m.lag / 8.0, r.events.c_str(), r.event_ends,
              r.seq_dups);
  close(fd);
  return 0;
}
