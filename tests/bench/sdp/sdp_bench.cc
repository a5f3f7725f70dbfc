// Prints microseconds and heap allocations per operation for Rampart's SDP path and for
// sofia-sip's sdp_parse + sdp_print, on a Chrome audio+video offer and an Asterisk offer.
//
// Allocations are counted by interposing malloc/calloc/realloc in this executable (glibc
// resolves every malloc, including the one behind operator new and sofia's su_alloc, to ours).
#include <rampart/sdp/normalize.h>
#include <rampart/sdp/parser.h>
#include <rampart/sdp/writer.h>
#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void __libc_free(void*);
}

namespace {
// Plain counter: the benchmark is single-threaded.
unsigned long long gAllocs = 0;
}  // namespace

extern "C" {
void* malloc(size_t n) {
  ++gAllocs;
  return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
  ++gAllocs;
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
  ++gAllocs;
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}

namespace {

using namespace rampart::sdp;

std::string readFile(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().empty()) {
    std::fprintf(stderr, "cannot read %s\n", p.c_str());
    std::exit(2);
  }
  return ss.str();
}

struct Figure {
  double usPerOp;
  double allocsPerOp;
};

volatile size_t gSink = 0;

double cpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Operations are timed in batches of this many; what a batch needs (the per-call configs) is
// prepared untimed just before it, so it is as warm as when the control plane has just built it.
constexpr int kBatch = 64;

// One run of @p iters operations: thread CPU time (the build machine is shared, so wall time
// would count other processes) and allocations per operation. @p prepare(first, count) runs
// untimed before each batch (every row is timed the same way, batch by batch).
template <typename Fn, typename Prep>
Figure runOnce(Fn&& op, int iters, Prep&& prepare) {
  unsigned long long allocs = 0;
  double micros = 0;
  for (int first = 0; first < iters; first += kBatch) {
    int count = std::min(kBatch, iters - first);
    prepare(first, count);
    unsigned long long a0 = gAllocs;
    double t0 = cpuMicros();
    for (int i = first; i < first + count; ++i) {
      op(i);
    }
    micros += cpuMicros() - t0;
    allocs += gAllocs - a0;
  }
  return Figure{micros / iters, static_cast<double>(allocs) / iters};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

bool sofiaOnce(const std::string& body) {
  auto* home = static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)));
  sdp_parser_t* p = sdp_parse(home, body.data(), static_cast<issize_t>(body.size()), 0);
  bool ok = sdp_session(p) != nullptr;
  if (ok) {
    sdp_printer_t* pr = sdp_print(home, sdp_session(p), nullptr, 0, 0);
    ok = sdp_message(pr) != nullptr;
    gSink = gSink + static_cast<size_t>(sdp_message_size(pr));
    sdp_printer_free(pr);
  }
  sdp_parser_free(p);
  su_home_unref(home);
  return ok;
}

// What sofia-sip prints back for @p body (to show whether it round-trips).
std::string sofiaPrint(const std::string& body) {
  auto* home = static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)));
  sdp_parser_t* p = sdp_parse(home, body.data(), static_cast<issize_t>(body.size()), 0);
  std::string out;
  if (sdp_session(p) != nullptr) {
    sdp_printer_t* pr = sdp_print(home, sdp_session(p), nullptr, 0, 0);
    if (sdp_message(pr) != nullptr) {
      out.assign(sdp_message(pr), static_cast<size_t>(sdp_message_size(pr)));
    }
    sdp_printer_free(pr);
  }
  sdp_parser_free(p);
  su_home_unref(home);
  return out;
}

size_t linesDiffering(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string l1, l2;
  size_t diff = 0;
  for (int i = 0; i < 100000; ++i) {
    bool g1 = static_cast<bool>(std::getline(x, l1));
    bool g2 = static_cast<bool>(std::getline(y, l2));
    if (!g1 && !g2) {
      break;
    }
    diff += (g1 != g2 || l1 != l2) ? 1 : 0;
  }
  return diff;
}

bool roundTripOnce(const std::string& body) {
  Result<Session> s = parse(body);
  if (!s.ok()) {
    return false;
  }
  std::string out = serialize(*s);
  gSink = gSink + out.size();
  return out == body;
}

bool normaliseOnce(const std::string& body, LegConfig&& a, LegConfig&& b) {
  Result<Session> s = parse(body);
  if (!s.ok()) {
    return false;
  }
  Bridge bridge(std::move(a), std::move(b));
  Result<std::string> out = bridge.offer(Leg::A, *s);
  if (!out.ok()) {
    return false;
  }
  gSink = gSink + out->size();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int iters = argc > 1 ? std::atoi(argv[1]) : 20000;
  std::string dir = RAMPART_SDP_GOLDEN_DIR;
  struct Input {
    const char* name;
    std::string body;
    ProfileKind from, to;
    const char* profile;
    const char* videoCodecs;  // for the target leg; nullptr keeps the default policy
  };
  std::vector<Input> inputs = {
      {"Chrome 156 audio+video offer", readFile(dir + "/chrome-av/01-offer-a.sdp"),
       ProfileKind::WebRtc, ProfileKind::Trunk, "webrtc-to-trunk", nullptr},
      {"Chrome 156 audio+video offer", readFile(dir + "/chrome-av/01-offer-a.sdp"),
       ProfileKind::WebRtc, ProfileKind::Trunk, "webrtc-to-trunk, trunk takes H264+VP8",
       "H264,VP8"},
      {"Asterisk offer", readFile(dir + "/asterisk-chrome/01-offer-a.sdp"), ProfileKind::Trunk,
       ProfileKind::WebRtc, "trunk-to-webrtc", nullptr},
  };
  std::printf(
      "rampart-bench-sdp: %d iterations x 7 interleaved runs, median thread-CPU time per "
      "operation\n\n",
      iters);
  std::printf("| input | bytes | operation | us/op | allocs/op | vs sofia |\n");
  std::printf("|---|---:|---|---:|---:|---:|\n");
  int rc = 0;
  constexpr int kRuns = 7;
  for (const Input& in : inputs) {
    const LegConfig a = defaultLegConfig(in.from);
    LegConfig b = defaultLegConfig(in.to);
    if (in.videoCodecs != nullptr && !applyOption(b, "video-codecs", in.videoCodecs).ok()) {
      return 2;
    }
    if (!sofiaOnce(in.body) || !roundTripOnce(in.body) ||
        !normaliseOnce(in.body, LegConfig(a), LegConfig(b))) {
      std::fprintf(stderr, "%s: an implementation rejected the input\n", in.name);
      rc = 1;
      continue;
    }
    // The control plane hands each call's LegConfig (its allocated ports and keys) to the
    // Bridge right after building it; building those is not SDP work, so each batch's configs
    // are copied in untimed just before the batch and moved in, as the control plane does.
    std::vector<LegConfig> as(kBatch, a);
    std::vector<LegConfig> bs(kBatch, b);
    auto nothing = [](int, int) {};
    auto freshConfigs = [&](int, int count) {
      for (int i = 0; i < count; ++i) {
        as[static_cast<size_t>(i)] = a;
        bs[static_cast<size_t>(i)] = b;
      }
    };
    std::vector<double> tS, tR, tN;
    Figure s{}, r{}, n{};
    // Interleaved runs so load changes on the shared machine hit all three alike.
    for (int run = 0; run < kRuns; ++run) {
      s = runOnce([&](int) { sofiaOnce(in.body); }, iters, nothing);
      r = runOnce([&](int) { roundTripOnce(in.body); }, iters, nothing);
      n = runOnce(
          [&](int i) {
            normaliseOnce(in.body, std::move(as[static_cast<size_t>(i % kBatch)]),
                          std::move(bs[static_cast<size_t>(i % kBatch)]));
          },
          iters, freshConfigs);
      tS.push_back(s.usPerOp);
      tR.push_back(r.usPerOp);
      tN.push_back(n.usPerOp);
    }
    double ms = median(tS), mr = median(tR), mn = median(tN);
    std::printf("| %s | %zu | sofia-sip sdp_parse + sdp_print | %.2f | %.1f | 1.00x |\n", in.name,
                in.body.size(), ms, s.allocsPerOp);
    std::printf("| %s | %zu | rampart parse + serialize (byte-exact) | %.2f | %.1f | %.2fx |\n",
                in.name, in.body.size(), mr, r.allocsPerOp, ms / mr);
    std::printf("| %s | %zu | rampart parse + normalise (%s) + serialise | %.2f | %.1f | %.2fx |\n",
                in.name, in.body.size(), in.profile, mn, n.allocsPerOp, ms / mn);
  }
  std::printf("\nByte-exact round trip (parse + print, unmodified input):\n");
  for (const Input& in : inputs) {
    std::string printed = sofiaPrint(in.body);
    Result<Session> ours = parse(in.body);
    bool oursExact = ours.ok() && serialize(*ours) == in.body;
    std::printf("- %s: rampart %s; sofia-sip %s (%zu of the input's lines differ)\n", in.name,
                oursExact ? "identical" : "DIFFERENT",
                printed == in.body ? "identical" : "different", linesDiffering(printed, in.body));
  }
  return rc;
}
