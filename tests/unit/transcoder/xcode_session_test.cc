// The transcoding engine against real codecs: libopus on the far side, G.711 from our own
// tables (audio_check.cc), quality measured after time alignment.
#include <gtest/gtest.h>
#include <opus/opus.h>

#include <cstring>
#include <vector>

#include "audio_check.h"
#include "rtp_packet.h"
#include "xcode_session.h"

namespace rampart::xc {
namespace {

using test::compare;
using test::toneSweep;

abi::XcodeCodec opus(uint8_t pt) {
  return {abi::XcodeCodecId::Opus, pt, 1, 20, 48000, 0, abi::kXcOpusFec, 32, 0};
}
abi::XcodeCodec pcmu(uint8_t ptime = 20) {
  return {abi::XcodeCodecId::Pcmu, 0, 1, ptime, 8000, 0, 0, 0, 0};
}
abi::XcodeSetup setup(abi::XcodeCodec from, abi::XcodeCodec to, uint32_t ssrc = 0x1234abcd) {
  abi::XcodeSetup s{};
  s.hdr.type = abi::MsgType::XcodeSetup;
  s.hdr.size = sizeof s;
  s.from = from;
  s.to = to;
  s.out_ssrc = ssrc;
  return s;
}

std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, const uint8_t* p, size_t n) {
  std::vector<uint8_t> v(12 + n);
  writeRtpHeader(v.data(), false, pt, seq, ts, 0xfeed);
  std::memcpy(v.data() + 12, p, n);
  return v;
}

struct Captured {
  std::vector<RtpView> hdrs;
  std::vector<std::vector<uint8_t>> payloads;
};

void collect(XcodeSession& s, int n, Captured* c) {
  for (int i = 0; i < n; ++i) {
    const OutPacket& o = s.out(i);
    RtpView v{};
    ASSERT_TRUE(parseRtp(o.data, o.len, &v));
    c->payloads.emplace_back(v.payload, v.payload + v.payload_len);
    c->hdrs.push_back(v);
  }
}

// Sends `pcm48` as 20 ms Opus packets (libopus reference encoder), dropping every
// `drop_every`th (0: none); returns what the session emitted.
Captured opusIn(XcodeSession& s, const std::vector<int16_t>& pcm48, int drop_every, bool fec,
                uint16_t seq0 = 1000) {
  int err = 0;
  OpusEncoder* e = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
  opus_encoder_ctl(e, OPUS_SET_BITRATE(32000));
  opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(fec ? 1 : 0));
  opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(fec ? 10 : 0));
  Captured c;
  uint8_t buf[1500];
  for (size_t off = 0, i = 0; off + 960 <= pcm48.size(); off += 960, ++i) {
    int n = opus_encode(e, pcm48.data() + off, 960, buf, sizeof buf);
    if (drop_every != 0 && i % static_cast<size_t>(drop_every) == 5) {
      continue;
    }
    auto p = rtp(111, static_cast<uint16_t>(seq0 + i), static_cast<uint32_t>(i * 960), buf,
                 static_cast<size_t>(n));
    collect(s, s.onRtp(p.data(), p.size()), &c);
  }
  opus_encoder_destroy(e);
  return c;
}

std::vector<int16_t> ulawPcm(const Captured& c) {
  std::vector<int16_t> v;
  for (const auto& p : c.payloads) {
    for (uint8_t b : p) {
      v.push_back(test::ulawDecode(b));
    }
  }
  return v;
}

TEST(XcodeSession, OpusToPcmuToneSweepKeepsTheSignal) {
  auto s = XcodeSession::create(setup(opus(111), pcmu()));
  ASSERT_TRUE(s) << s.error().message;
  auto sweep48 = toneSweep(48000, 3.0, 200, 3400, 12000);
  Captured c = opusIn(*s.value(), sweep48, 0, false);
  auto out = ulawPcm(c);
  ASSERT_GT(out.size(), 8000u * 29 / 10);
  auto ref8 = toneSweep(8000, 3.0, 200, 3400, 12000);
  auto m = compare(ref8, out, 800, 1600);
  std::printf("opus->pcmu sweep: lag %d corr %.3f snr %.1f dB\n", m.lag, m.corr, m.snr_db);
  EXPECT_GT(m.corr, 0.90);
  EXPECT_GT(m.snr_db, 8.0);
}

TEST(XcodeSession, PcmuToOpusToneSweepKeepsTheSignal) {
  auto s = XcodeSession::create(setup(pcmu(), opus(96)));
  ASSERT_TRUE(s) << s.error().message;
  auto ref8 = toneSweep(8000, 3.0, 200, 3400, 12000);
  Captured c;
  for (size_t off = 0, i = 0; off + 160 <= ref8.size(); off += 160, ++i) {
    uint8_t u[160];
    for (int k = 0; k < 160; ++k) {
      u[k] = test::ulawEncode(ref8[off + static_cast<size_t>(k)]);
    }
    auto p = rtp(0, static_cast<uint16_t>(i), static_cast<uint32_t>(i * 160), u, 160);
    collect(*s.value(), s.value()->onRtp(p.data(), p.size()), &c);
  }
  int err = 0;
  OpusDecoder* d = opus_decoder_create(8000, 1, &err);
  std::vector<int16_t> out;
  int16_t pcm[5760];
  for (size_t i = 0; i < c.payloads.size(); ++i) {
    EXPECT_EQ(c.hdrs[i].pt, 96);
    int n = opus_decode(d, c.payloads[i].data(), static_cast<opus_int32>(c.payloads[i].size()), pcm,
                        5760, 0);
    ASSERT_GT(n, 0);
    out.insert(out.end(), pcm, pcm + n);
  }
  opus_decoder_destroy(d);
  auto m = compare(ref8, out, 800, 1600);
  std::printf("pcmu->opus sweep: lag %d corr %.3f snr %.1f dB\n", m.lag, m.corr, m.snr_db);
  EXPECT_GT(m.corr, 0.90);
  EXPECT_GT(m.snr_db, 8.0);
}

TEST(XcodeSession, OwnSsrcSequenceAndTimestamps) {
  auto s = XcodeSession::create(setup(opus(111), pcmu(), 0xabc));
  ASSERT_TRUE(s);
  Captured c = opusIn(*s.value(), toneSweep(48000, 1.0, 300, 3000, 8000), 0, false);
  ASSERT_GE(c.hdrs.size(), 49u);
  EXPECT_TRUE(c.hdrs[0].marker);
  for (size_t i = 1; i < c.hdrs.size(); ++i) {
    EXPECT_EQ(c.hdrs[i].ssrc, 0xabcu);
    EXPECT_EQ(c.hdrs[i].pt, 0);
    EXPECT_FALSE(c.hdrs[i].marker);
    EXPECT_EQ(static_cast<uint16_t>(c.hdrs[i].seq - c.hdrs[i - 1].seq), 1);
    EXPECT_EQ(c.hdrs[i].ts - c.hdrs[i - 1].ts, 160u);
    EXPECT_EQ(c.payloads[i].size(), 160u);
  }
}

TEST(XcodeSession, PtimeConversion20To40) {
  auto s = XcodeSession::create(setup(opus(111), pcmu(40)));
  ASSERT_TRUE(s);
  Captured c = opusIn(*s.value(), toneSweep(48000, 1.0, 300, 3000, 8000), 0, false);
  ASSERT_GE(c.hdrs.size(), 24u);
  for (size_t i = 1; i < c.hdrs.size(); ++i) {
    EXPECT_EQ(c.hdrs[i].ts - c.hdrs[i - 1].ts, 320u);
    EXPECT_EQ(c.payloads[i].size(), 320u);
  }
}

TEST(XcodeSession, LossIsConcealedAndFecUsed) {
  auto s = XcodeSession::create(setup(opus(111), pcmu()));
  ASSERT_TRUE(s);
  auto sweep48 = toneSweep(48000, 3.0, 200, 3400, 12000);
  Captured c = opusIn(*s.value(), sweep48, 20, true);  // 5% loss
  const SessionStats& st = s.value()->stats();
  EXPECT_GT(st.fec_frames + st.plc_frames, 5u);
  std::printf("5%% loss: fec %llu plc %llu\n", static_cast<unsigned long long>(st.fec_frames),
              static_cast<unsigned long long>(st.plc_frames));
  auto out = ulawPcm(c);
  // The timeline has no holes: every lost 20 ms was filled.
  EXPECT_GE(out.size(), 8000u * 29 / 10);
  auto m = compare(toneSweep(8000, 3.0, 200, 3400, 12000), out, 800, 1600);
  std::printf("opus->pcmu 5%% loss: corr %.3f snr %.1f dB\n", m.corr, m.snr_db);
  EXPECT_GT(m.corr, 0.80);
}

TEST(XcodeSession, PcmuToG722Resamples) {
  abi::XcodeCodec g722{abi::XcodeCodecId::G722, 9, 1, 20, 8000, 0, 0, 0, 0};
  auto s = XcodeSession::create(setup(pcmu(), g722));
  ASSERT_TRUE(s) << s.error().message;
  auto ref8 = toneSweep(8000, 1.0, 300, 3000, 8000);
  Captured c;
  for (size_t off = 0, i = 0; off + 160 <= ref8.size(); off += 160, ++i) {
    uint8_t u[160];
    for (int k = 0; k < 160; ++k) {
      u[k] = test::ulawEncode(ref8[off + static_cast<size_t>(k)]);
    }
    auto p = rtp(0, static_cast<uint16_t>(i), static_cast<uint32_t>(i * 160), u, 160);
    collect(*s.value(), s.value()->onRtp(p.data(), p.size()), &c);
  }
  ASSERT_GE(c.hdrs.size(), 45u);
  for (size_t i = 1; i < c.hdrs.size(); ++i) {
    EXPECT_EQ(c.hdrs[i].pt, 9);
    EXPECT_EQ(c.hdrs[i].ts - c.hdrs[i - 1].ts, 160u);  // G.722's RTP clock is 8000
    EXPECT_EQ(c.payloads[i].size(), 160u);             // 64 kbit/s
  }
}

TEST(XcodeSession, TelephoneEventsMapAcrossClockRates) {
  abi::XcodeCodec from = pcmu();
  from.dtmf_pt = 101;
  abi::XcodeCodec to = opus(111);
  to.dtmf_pt = 110;
  auto s = XcodeSession::create(setup(from, to));
  ASSERT_TRUE(s);
  // Digit 5, 3 updates and 3 redundant end packets, one event timestamp (RFC 4733 2.5).
  Captured c;
  uint16_t durs[] = {160, 320, 480, 640, 640, 640};
  for (int i = 0; i < 6; ++i) {
    uint8_t ev[4] = {5, static_cast<uint8_t>(i >= 3 ? 0x80 | 10 : 10),
                     static_cast<uint8_t>(durs[i] >> 8), static_cast<uint8_t>(durs[i])};
    auto p = rtp(101, static_cast<uint16_t>(i), 8000, ev, 4);
    collect(*s.value(), s.value()->onRtp(p.data(), p.size()), &c);
  }
  ASSERT_EQ(c.hdrs.size(), 6u);
  EXPECT_TRUE(c.hdrs[0].marker);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(c.hdrs[i].pt, 110);
    EXPECT_EQ(c.hdrs[i].ts, c.hdrs[0].ts);
    EXPECT_EQ(c.payloads[i][0], 5);
    uint32_t d = (c.payloads[i][2] << 8) | c.payloads[i][3];
    EXPECT_EQ(d, durs[i] * 6u);  // 8000 -> 48000
    EXPECT_EQ((c.payloads[i][1] & 0x80) != 0, i >= 3);
  }
  EXPECT_EQ(s.value()->stats().dtmf_events, 1u);
}

// mu-law packets of `pcm` (8 kHz), 20 ms each, from sequence `seq0`.
Captured pcmuIn(XcodeSession& s, const std::vector<int16_t>& pcm, uint16_t seq0 = 1) {
  Captured c;
  uint8_t u[160];
  for (size_t off = 0, i = 0; off + 160 <= pcm.size(); off += 160, ++i) {
    for (size_t k = 0; k < 160; ++k) {
      u[k] = test::ulawEncode(pcm[off + k]);
    }
    auto p = rtp(0, static_cast<uint16_t>(seq0 + i), static_cast<uint32_t>(off), u, 160);
    collect(s, s.onRtp(p.data(), p.size()), &c);
  }
  return c;
}

std::vector<int16_t> keyBetweenSilence(char key, int ms) {
  std::vector<int16_t> pcm(1600, 0);
  auto tone = test::dtmfKey(key, ms);
  pcm.insert(pcm.end(), tone.begin(), tone.end());
  pcm.insert(pcm.end(), 3200, 0);
  return pcm;
}

TEST(XcodeSession, InbandToneOnPcmuBecomesEventsOnOpus) {
  abi::XcodeCodec to = opus(111);
  to.dtmf_pt = 110;
  auto s = XcodeSession::create(setup(pcmu(), to));
  ASSERT_TRUE(s);
  Captured c = pcmuIn(*s.value(), keyBetweenSilence('#', 200));
  std::vector<size_t> ev;
  for (size_t i = 0; i < c.hdrs.size(); ++i) {
    if (c.hdrs[i].pt == 110) {
      ev.push_back(i);
    }
  }
  // Start (marker) and updates while the tone lasts, then three end packets (RFC 4733 2.5.1).
  ASSERT_GE(ev.size(), 8u);
  EXPECT_TRUE(c.hdrs[ev[0]].marker);
  uint32_t prev = 0;
  for (size_t k = 0; k < ev.size(); ++k) {
    const auto& p = c.payloads[ev[k]];
    EXPECT_EQ(p[0], 11) << "#";
    EXPECT_EQ(c.hdrs[ev[k]].ts, c.hdrs[ev[0]].ts);
    uint32_t d = (p[2] << 8) | p[3];
    EXPECT_GE(d, prev);
    prev = d;
    EXPECT_EQ((p[1] & 0x80) != 0, k + 3 >= ev.size()) << k;
  }
  // 200 ms of tone at Opus's 48 kHz clock, within a 20 ms block either way.
  EXPECT_GE(prev, 48u * 180);
  EXPECT_LE(prev, 48u * 220);
  EXPECT_EQ(s.value()->stats().dtmf_inband, 1u);
}

// The other leg hears DTMF as SIP INFO (DtmfReport.inband): an in-band digit is handed over
// once, at its end, with its duration, and never sent as events, even toward a leg that
// negotiated them; without the report and without events, nothing is detected.
TEST(XcodeSession, InbandToneReportedForSipInfoInsteadOfEvents) {
  for (uint8_t event_pt : {uint8_t{110}, uint8_t{0}}) {
    abi::XcodeCodec to = opus(111);
    to.dtmf_pt = event_pt;
    auto s = XcodeSession::create(setup(pcmu(), to));
    ASSERT_TRUE(s);
    s.value()->reportTones(true);
    std::vector<int16_t> pcm = keyBetweenSilence('7', 200);
    auto more = keyBetweenSilence('*', 120);
    pcm.insert(pcm.end(), more.begin(), more.end());
    Captured c;
    std::vector<abi::XcTone> tones;
    uint8_t u[160];
    for (size_t off = 0, i = 0; off + 160 <= pcm.size(); off += 160, ++i) {
      for (size_t k = 0; k < 160; ++k) {
        u[k] = test::ulawEncode(pcm[off + k]);
      }
      auto p = rtp(0, static_cast<uint16_t>(1 + i), static_cast<uint32_t>(off), u, 160);
      collect(*s.value(), s.value()->onRtp(p.data(), p.size()), &c);
      abi::XcTone t{};
      if (s.value()->takeTone(&t)) {
        tones.push_back(t);
      }
    }
    for (const RtpView& h : c.hdrs) {
      EXPECT_EQ(h.pt, 111);  // audio only: the digits go as SIP INFO
    }
    ASSERT_EQ(tones.size(), 2u);
    EXPECT_EQ(tones[0].event, 7);
    EXPECT_EQ(tones[1].event, 10);  // '*'
    EXPECT_EQ(tones[0].clock_rate, 48000u);
    EXPECT_GE(tones[0].duration, 48u * 180);  // 200 ms within a 20 ms block either way
    EXPECT_LE(tones[0].duration, 48u * 220);
    EXPECT_EQ(s.value()->stats().dtmf_inband, 2u);
  }
  auto quiet = XcodeSession::create(setup(pcmu(), opus(111)));  // no events, no report
  ASSERT_TRUE(quiet);
  pcmuIn(*quiet.value(), keyBetweenSilence('7', 200));
  EXPECT_EQ(quiet.value()->stats().dtmf_inband, 0u);
}

// A digit from SIP INFO: started at once, updated with each audio frame, ended after its
// duration with three end packets, on the output leg's clock and event PT.
TEST(XcodeSession, InjectedDigitIsPacedWithTheAudio) {
  abi::XcodeCodec to = opus(111);
  to.dtmf_pt = 110;
  auto s = XcodeSession::create(setup(pcmu(), to));
  ASSERT_TRUE(s);
  std::vector<int16_t> silence(8000, 0);
  pcmuIn(*s.value(), std::vector<int16_t>(1600, 0));  // the stream is running
  Captured c;
  collect(*s.value(), s.value()->injectDtmf(7, 10, 100), &c);
  ASSERT_EQ(c.hdrs.size(), 1u);
  EXPECT_TRUE(c.hdrs[0].marker);
  EXPECT_EQ(c.hdrs[0].pt, 110);
  Captured after = pcmuIn(*s.value(), silence, 11);
  std::vector<uint32_t> durs;
  int ends = 0;
  for (size_t i = 0; i < after.hdrs.size(); ++i) {
    if (after.hdrs[i].pt != 110) {
      continue;
    }
    EXPECT_EQ(after.hdrs[i].ts, c.hdrs[0].ts);
    EXPECT_EQ(after.payloads[i][0], 7);
    durs.push_back((after.payloads[i][2] << 8) | after.payloads[i][3]);
    ends += (after.payloads[i][1] & 0x80) != 0 ? 1 : 0;
  }
  // 100 ms at 48 kHz in 20 ms frames: updates at 960, 1920, 2880, 3840, then three ends.
  ASSERT_EQ(durs.size(), 7u);
  EXPECT_EQ(durs[0], 960u);
  EXPECT_EQ(durs[3], 3840u);
  EXPECT_EQ(durs[6], 4800u);
  EXPECT_EQ(ends, 3);
  EXPECT_EQ(s.value()->stats().dtmf_injected, 1u);
  // Without telephone-event on the output leg there is nothing to send it with.
  auto plain = XcodeSession::create(setup(pcmu(), opus(111)));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain.value()->injectDtmf(7, 10, 100), -1);
}

TEST(XcodeSession, NoInbandEventsWhenTheCallerSendsItsOwn) {
  abi::XcodeCodec from = pcmu();
  from.dtmf_pt = 101;
  abi::XcodeCodec to = opus(111);
  to.dtmf_pt = 110;
  auto s = XcodeSession::create(setup(from, to));
  ASSERT_TRUE(s);
  uint8_t ev[4] = {1, 0x80 | 10, 0x03, 0x20};
  auto p = rtp(101, 1, 0, ev, 4);
  s.value()->onRtp(p.data(), p.size());
  pcmuIn(*s.value(), keyBetweenSilence('4', 200), 2);
  EXPECT_EQ(s.value()->stats().dtmf_inband, 0u);
  // And without telephone-event on the other leg there is nobody to send events to.
  auto plain = XcodeSession::create(setup(pcmu(), opus(111)));
  ASSERT_TRUE(plain);
  pcmuIn(*plain.value(), keyBetweenSilence('4', 200));
  EXPECT_EQ(plain.value()->stats().dtmf_inband, 0u);
}

TEST(XcodeSession, RestartedSequenceIsFollowedLateOnesDropped) {
  auto s = XcodeSession::create(setup(opus(111), pcmu()));
  ASSERT_TRUE(s);
  auto sweep = toneSweep(48000, 1.0, 300, 3000, 8000);
  Captured first = opusIn(*s.value(), sweep, 0, false, 30000);  // seq 30000..30049
  Captured again = opusIn(*s.value(), sweep, 0, false);         // 1000..: a restart
  EXPECT_GE(again.hdrs.size(), first.hdrs.size());
  EXPECT_EQ(s.value()->stats().late, 0u);
  uint8_t pl[3] = {0xf8, 0xff, 0xfe};
  auto late = rtp(111, 1040, 0, pl, 3);  // 9 behind the last one: late, dropped
  EXPECT_EQ(s.value()->onRtp(late.data(), late.size()), 0);
  EXPECT_EQ(s.value()->stats().late, 1u);
}

TEST(XcodeSession, GarbageIsCountedNeverFatal) {
  auto s = XcodeSession::create(setup(opus(111), pcmu()));
  ASSERT_TRUE(s);
  uint8_t junk[300];
  for (int i = 0; i < 300; ++i) {
    junk[i] = static_cast<uint8_t>(i * 37);
  }
  for (uint16_t i = 0; i < 50; ++i) {
    auto p = rtp(111, i, i * 960u, junk, i * 6u % 300);
    s.value()->onRtp(p.data(), p.size());
  }
  s.value()->onRtp(junk, 5);
  EXPECT_GT(s.value()->stats().bad_packets, 0u);
}

TEST(XcodeSession, BadSetupIsRefused) {
  abi::XcodeCodec bad = pcmu();
  bad.codec = static_cast<abi::XcodeCodecId>(9);
  EXPECT_FALSE(XcodeSession::create(setup(bad, opus(111))));
  abi::XcodeCodec badp = pcmu(25);
  EXPECT_FALSE(XcodeSession::create(setup(opus(111), badp)));
}

}  // namespace
}  // namespace rampart::xc
