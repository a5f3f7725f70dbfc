// Runs every golden case through rampart::sdp::Bridge and compares the bytes produced with the
// committed expectations. Inputs must also parse and round-trip byte-exact.
#include <gtest/gtest.h>
#include <rampart/sdp/normalize.h>
#include <rampart/sdp/parser.h>
#include <rampart/sdp/writer.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace rampart::sdp {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool updating() {
  const char* v = std::getenv("RAMPART_GOLDEN_UPDATE");
  return v != nullptr && std::string(v) == "1";
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n')) {
    s.pop_back();
  }
  size_t b = s.find_first_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b);
}

struct CaseConfig {
  LegConfig a, b;
};

CaseConfig loadConfig(const fs::path& file) {
  std::istringstream in(readFile(file));
  std::string line;
  CaseConfig c;
  bool haveProfile = false;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') {
      continue;
    }
    size_t eq = line.find('=');
    EXPECT_NE(eq, std::string::npos) << file << ": " << line;
    if (eq == std::string::npos) {
      continue;
    }
    std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    if (key == "profile") {
      haveProfile = true;
      bool w2t = value == "webrtc-to-trunk";
      EXPECT_TRUE(w2t || value == "trunk-to-webrtc") << file;
      c.a = defaultLegConfig(w2t ? ProfileKind::WebRtc : ProfileKind::Trunk);
      c.b = defaultLegConfig(w2t ? ProfileKind::Trunk : ProfileKind::WebRtc);
    } else if (key.size() > 2 && (key[0] == 'a' || key[0] == 'b') && key[1] == '.') {
      EXPECT_TRUE(haveProfile) << file << ": profile= must come first";
      Result<bool> r = applyOption(key[0] == 'a' ? c.a : c.b, key.substr(2), value);
      EXPECT_TRUE(r.ok()) << file << ": " << (r.ok() ? "" : describe(r.error()));
    } else {
      ADD_FAILURE() << file << ": unknown key " << key;
    }
  }
  EXPECT_TRUE(haveProfile) << file;
  return c;
}

std::vector<fs::path> sortedEntries(const fs::path& dir, bool directories) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (directories ? e.is_directory() : (e.is_regular_file() && e.path().extension() == ".sdp")) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Returns the number of steps checked.
int runCase(const fs::path& dir) {
  CaseConfig cfg = loadConfig(dir / "case.conf");
  Bridge bridge(cfg.a, cfg.b);
  int steps = 0;
  for (const fs::path& input : sortedEntries(dir, false)) {
    SCOPED_TRACE(input.string());
    // NN-offer-a.sdp: kind and leg from the name.
    std::string stem = input.stem().string();
    size_t d1 = stem.find('-');
    size_t d2 = stem.rfind('-');
    EXPECT_TRUE(d1 != std::string::npos && d2 > d1) << "bad step name";
    if (d1 == std::string::npos || d2 <= d1) {
      continue;
    }
    std::string kind = stem.substr(d1 + 1, d2 - d1 - 1);
    Leg leg = stem.substr(d2 + 1) == "a" ? Leg::A : Leg::B;
    std::string body = readFile(input);
    std::string got;
    Result<Session> s = parse(body);
    if (!s.ok()) {
      got = "ERROR " + std::string(errorCodeName(s.error().code)) + " line " +
            std::to_string(s.error().line) + "\n";
    } else {
      EXPECT_EQ(serialize(*s), body) << "round trip is not byte-exact";
      Result<std::string> out = kind == "offer" ? bridge.offer(leg, *s) : bridge.answer(leg, *s);
      if (out.ok()) {
        got = *out;
        Result<Session> again = parse(got);
        EXPECT_TRUE(again.ok()) << "our own output does not parse: "
                                << (again.ok() ? "" : describe(again.error()));
      } else {
        got = "ERROR " + std::string(errorCodeName(out.error().code)) + "\n";
      }
    }
    fs::path expected = input;
    expected.replace_extension(".expected");
    if (updating()) {
      std::ofstream(expected, std::ios::binary) << got;
    } else {
      EXPECT_TRUE(fs::exists(expected)) << "missing " << expected;
      EXPECT_EQ(got, readFile(expected)) << "golden mismatch for " << input;
    }
    ++steps;
  }
  return steps;
}

TEST(SdpGolden, Corpus) {
  fs::path root = RAMPART_SDP_GOLDEN_DIR;
  int cases = 0;
  int steps = 0;
  for (const fs::path& dir : sortedEntries(root, true)) {
    SCOPED_TRACE(dir.filename().string());
    steps += runCase(dir);
    ++cases;
  }
  EXPECT_GE(cases, 10);
  EXPECT_GE(steps, 20);
  std::printf("golden: %d cases, %d steps\n", cases, steps);
}

// The CLI must agree with the library (operators rely on it): every case whose steps all succeed
// is replayed through rampart-sdp with --step, and its output compared with the expectations.
TEST(SdpGolden, CliReplaysEveryCase) {
  fs::path root = RAMPART_SDP_GOLDEN_DIR;
  int checked = 0;
  for (const fs::path& dir : sortedEntries(root, true)) {
    std::vector<fs::path> inputs = sortedEntries(dir, false);
    if (inputs.empty() || inputs.front().filename() != "01-offer-a.sdp") {
      continue;
    }
    std::string conf = readFile(dir / "case.conf");
    std::istringstream in(conf);
    std::string line, args;
    while (std::getline(in, line)) {
      line = trim(line);
      if (line.rfind("profile=", 0) == 0) {
        args += " --profile " + line.substr(8);
      } else if (line.size() > 2 && line[1] == '.') {
        args += std::string(" --") + line[0] + " '" + line.substr(2) + "'";
      }
    }
    std::string want;
    bool hasError = false;
    for (size_t i = 0; i < inputs.size(); ++i) {
      fs::path expected = inputs[i];
      expected.replace_extension(".expected");
      std::string e = readFile(expected);
      hasError = hasError || e.rfind("ERROR ", 0) == 0;
      if (i > 0) {
        std::string stem = inputs[i].stem().string();  // NN-kind-leg
        std::string kind = stem.substr(stem.find('-') + 1);
        bool isOffer = kind.rfind("offer", 0) == 0;
        char to = kind.back() == 'a' ? 'B' : 'A';
        args += " --step " + kind + " '" + inputs[i].string() + "'";
        want += std::string("--- ") + (isOffer ? "offer" : "answer") + " for leg " + to + "\n";
      }
      want += e;
    }
    fs::path out = fs::temp_directory_path() / ("rampart-sdp-golden-" + dir.filename().string());
    std::string cmd = std::string(RAMPART_SDP_CLI) + args + " < '" + inputs.front().string() +
                      "' > '" + out.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::string got = readFile(out);
    fs::remove(out);
    if (hasError) {
      // The CLI stops at the first error: check the status and the code it names.
      EXPECT_NE(rc, 0) << dir;
      size_t at = want.find("ERROR ");
      std::string code = want.substr(at + 6);
      code = code.substr(0, code.find_first_of(" \n"));
      EXPECT_NE(got.find("(" + code + ")"), std::string::npos) << dir << ": " << got;
    } else {
      EXPECT_EQ(rc, 0) << dir;
      EXPECT_EQ(got, want) << dir;
    }
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

}  // namespace
}  // namespace rampart::sdp
