// rampart-sdp: parse (--check) or normalise (--profile) one SDP read from stdin. Operators use it
// to debug interop; the golden tests use the same library calls.
#include <rampart/sdp/attributes.h>
#include <rampart/sdp/normalize.h>
#include <rampart/sdp/parser.h>
#include <rampart/sdp/writer.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace rampart::sdp;

constexpr const char* kUsage =
    "usage: rampart-sdp --check < offer.sdp\n"
    "       rampart-sdp --roundtrip < any.sdp\n"
    "       rampart-sdp --profile webrtc-to-trunk|trunk-to-webrtc [--a key=value]... \n"
    "                   [--b key=value]... [--answer answer.sdp]\n"
    "                   [--step offer-a|offer-b|answer-a|answer-b FILE]... < offer.sdp\n"
    "  --check      validate and print the typed view of every m-line\n"
    "  --roundtrip  validate and print the body back unchanged (byte-exact)\n"
    "  --profile    the offer on stdin comes from leg A; A is WebRTC and B a trunk for\n"
    "               webrtc-to-trunk, the reverse for trunk-to-webrtc. Prints the offer for\n"
    "               leg B; with --answer, also the answer from B mapped back for leg A.\n"
    "  --step       further SDPs in order (re-offers from either leg, their answers), each\n"
    "               printed after a line '--- <offer|answer> for leg <X>'\n"
    "  --a/--b      leg options: address, ports (rtp[/rtcp],...), sdes-keys, ufrag, pwd,\n"
    "               fingerprint, session-id, codecs, video-codecs, ptime, srtp (off|sdes),\n"
    "               sdes-suite, rtcp-mux (on|off), allow, setup, origin-user, session-name\n"
    "  --max-body N, --max-line N, --max-media N, --max-attributes N   parser limits\n"
    "exit status: 0 ok, 1 SDP rejected, 2 usage error\n";

bool readAll(std::istream& in, std::string& out, size_t cap) {
  out.clear();
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > cap) {
      return true;  // the parser reports BodyTooLarge
    }
  }
  return true;
}

void printCheck(const Session& s) {
  Origin o;
  (void)parseOrigin(s.lines()[1].value, o);
  std::printf("session: origin %.*s version %llu, %zu lines, %zu m-lines\n",
              static_cast<int>(o.session_id.size()), o.session_id.data(),
              static_cast<unsigned long long>(o.session_version), s.lines().size(), s.mediaCount());
  if (const Line* g = s.findSessionAttribute("group")) {
    std::printf("  %.*s\n", static_cast<int>(g->value.size()), g->value.data());
  }
  if (s.findSessionAttribute("ice-lite") != nullptr) {
    std::printf("  ice-lite\n");
  }
  for (size_t i = 0; i < s.mediaCount(); ++i) {
    MediaView mv = s.media(i);
    MediaLine m;
    (void)parseMediaLine(mv.lines()[0].value, m);
    std::printf("m-line %zu (line %zu): %.*s port %u/%u proto %.*s\n", i, mv.firstLineIndex() + 1,
                static_cast<int>(m.kind.size()), m.kind.data(), m.port, m.port_count,
                static_cast<int>(m.proto.size()), m.proto.data());
    int candidates = 0, mdns = 0, cryptos = 0, extmaps = 0, ssrcs = 0, rids = 0;
    for (const Line& l : mv.lines().subspan(1)) {
      if (l.type != 'a') {
        continue;
      }
      Attribute a = splitAttribute(l.value);
      Direction d;
      if (a.name == "rtpmap") {
        Rtpmap r;
        (void)parseRtpmap(a.value, r);
        std::printf("  codec %u %.*s/%u/%u\n", r.payload_type, static_cast<int>(r.encoding.size()),
                    r.encoding.data(), r.clock_rate, r.channels);
      } else if (a.name == "candidate") {
        Candidate c;
        (void)parseCandidate(a.value, c);
        ++candidates;
        mdns += c.mdns ? 1 : 0;
      } else if (a.name == "crypto") {
        Crypto c;
        (void)parseCrypto(a.value, c);
        ++cryptos;
        std::printf("  crypto tag %u %.*s keys %u%s\n", c.tag, static_cast<int>(c.suite.size()),
                    c.suite.data(), c.key_count, c.keys[0].has_mki ? " (MKI)" : "");
      } else if (a.name == "extmap") {
        ++extmaps;
      } else if (a.name == "ssrc") {
        ++ssrcs;
      } else if (a.name == "rid") {
        ++rids;
      } else if (a.name == "mid" || a.name == "setup" || a.name == "fingerprint" ||
                 a.name == "rtcp" || a.name == "ptime" || a.name == "simulcast" ||
                 a.name == "ice-ufrag") {
        std::printf("  %.*s %.*s\n", static_cast<int>(a.name.size()), a.name.data(),
                    static_cast<int>(a.value.size()), a.value.data());
      } else if (!a.has_value && (parseDirection(a.name, d) || a.name == "rtcp-mux")) {
        std::printf("  %.*s\n", static_cast<int>(a.name.size()), a.name.data());
      }
    }
    std::printf("  candidates %d (mDNS %d), crypto %d, extmap %d, ssrc lines %d, rid %d\n",
                candidates, mdns, cryptos, extmaps, ssrcs, rids);
  }
}

int fail(const Error& e) {
  std::fprintf(stderr, "rampart-sdp: %s\n", describe(e).c_str());
  return 1;
}

// The limit an option such as --max-body sets; nullptr when arg is not one.
size_t* limitOption(Limits& limits, const std::string& arg) {
  if (arg == "--max-body") {
    return &limits.max_body_bytes;
  }
  if (arg == "--max-line") {
    return &limits.max_line_length;
  }
  if (arg == "--max-media") {
    return &limits.max_media;
  }
  if (arg == "--max-attributes") {
    return &limits.max_attributes;
  }
  return nullptr;
}

}  // namespace

// Long on purpose: the option loop is one flat branch per option, then a short dispatch on the
// mode, in the order of the usage text.
// NOLINTNEXTLINE(readability-function-size): flat option branches, see above.
int main(int argc, char** argv) {
  std::string mode, profile;
  std::vector<std::pair<std::string, std::string>> steps;
  std::vector<std::pair<char, std::string>> opts;
  Limits limits;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](size_t& out) {
      if (i + 1 >= argc) {
        return false;
      }
      out = std::strtoull(argv[++i], nullptr, 10);
      return out > 0;
    };
    if (arg == "--check" || arg == "--roundtrip") {
      mode = arg;
    } else if (arg == "--profile" && i + 1 < argc) {
      mode = arg;
      profile = argv[++i];
    } else if ((arg == "--a" || arg == "--b") && i + 1 < argc) {
      opts.emplace_back(arg[2], argv[++i]);
    } else if (arg == "--answer" && i + 1 < argc) {
      steps.emplace_back("answer-b", argv[++i]);
    } else if (arg == "--step" && i + 2 < argc) {
      std::string kind = argv[++i];
      if (kind != "offer-a" && kind != "offer-b" && kind != "answer-a" && kind != "answer-b") {
        std::fputs(kUsage, stderr);
        return 2;
      }
      steps.emplace_back(kind, argv[++i]);
    } else if (size_t* limit = limitOption(limits, arg); limit != nullptr && value(*limit)) {
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (mode.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string body;
  readAll(std::cin, body, limits.max_body_bytes + 1);
  Result<Session> s = parse(body, limits);
  if (!s.ok()) {
    return fail(s.error());
  }
  if (mode == "--check") {
    printCheck(*s);
    std::printf("OK\n");
    return 0;
  }
  if (mode == "--roundtrip") {
    std::string out = serialize(*s);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  ProfileKind a, b;
  if (profile == "webrtc-to-trunk") {
    a = ProfileKind::WebRtc;
    b = ProfileKind::Trunk;
  } else if (profile == "trunk-to-webrtc") {
    a = ProfileKind::Trunk;
    b = ProfileKind::WebRtc;
  } else {
    std::fputs(kUsage, stderr);
    return 2;
  }
  LegConfig leg_a = defaultLegConfig(a);
  LegConfig leg_b = defaultLegConfig(b);
  for (const auto& [leg, kv] : opts) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "rampart-sdp: leg option '%s' is not key=value\n", kv.c_str());
      return 2;
    }
    Result<bool> r = applyOption(leg == 'a' ? leg_a : leg_b, std::string_view(kv).substr(0, eq),
                                 std::string_view(kv).substr(eq + 1));
    if (!r.ok()) {
      std::fprintf(stderr, "rampart-sdp: %s\n", describe(r.error()).c_str());
      return 2;
    }
  }
  Bridge bridge(std::move(leg_a), std::move(leg_b));
  Result<std::string> offer = bridge.offer(Leg::A, *s);
  if (!offer.ok()) {
    return fail(offer.error());
  }
  std::fwrite(offer->data(), 1, offer->size(), stdout);
  for (const auto& [kind, file] : steps) {
    std::ifstream in(file, std::ios::binary);
    std::string text;
    if (!in || !readAll(in, text, limits.max_body_bytes + 1)) {
      std::fprintf(stderr, "rampart-sdp: cannot read %s\n", file.c_str());
      return 2;
    }
    Result<Session> step = parse(text, limits);
    if (!step.ok()) {
      return fail(step.error());
    }
    Leg from = kind.back() == 'a' ? Leg::A : Leg::B;
    bool is_offer = kind.rfind("offer", 0) == 0;
    Result<std::string> out = is_offer ? bridge.offer(from, *step) : bridge.answer(from, *step);
    if (!out.ok()) {
      return fail(out.error());
    }
    // Offers and answers both go to the other leg.
    char to = from == Leg::A ? 'B' : 'A';
    std::printf("--- %s for leg %c\n", is_offer ? "offer" : "answer", to);
    std::fwrite(out->data(), 1, out->size(), stdout);
  }
  return 0;
}
