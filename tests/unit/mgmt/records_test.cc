// Operations records as an operator checks them: the audit chain detects an edited, removed or
// inserted line; CDR files rotate and keep only the newest; the E-model MOS falls with loss and
// jitter the way G.107 says.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <prometheus/registry.h>

#include <rampart/mgmt/audit_log.h>
#include <rampart/mgmt/call_quality.h>
#include <rampart/mgmt/cdr_writer.h>

namespace rampart::mgmt {
namespace {

namespace fs = std::filesystem;

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-records-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
      out.push_back(l);
    }
    return out;
  }
  static std::string join(const std::vector<std::string>& ls) {
    std::string out;
    for (const auto& l : ls) {
      out += l + "\n";
    }
    return out;
  }
  fs::path dir_;
};

using AuditTest = TempDir;

TEST_F(AuditTest, ChainSurvivesRestartAndCatchesTampering) {
  fs::path file = dir_ / "audit.log";
  {
    auto log = AuditLog::open(file.string());
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(log.value()->append({{"action", "test"}, {"n", i}}).ok());
    }
  }
  auto reopened = AuditLog::open(file.string());  // the chain continues after a restart
  ASSERT_TRUE(reopened.ok());
  ASSERT_TRUE(reopened.value()->append({{"action", "after restart"}}).ok());
  std::string text = slurp(file);
  AuditVerdict ok = verifyAuditChain(text);
  EXPECT_TRUE(ok.ok) << ok.reason;
  EXPECT_EQ(ok.lines, 4u);

  std::vector<std::string> ls = lines(text);
  std::vector<std::string> edited = ls;
  edited[1].replace(edited[1].find("\"n\":1"), 5, "\"n\":7");
  AuditVerdict e = verifyAuditChain(join(edited));
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.bad_line, 2u);

  std::vector<std::string> removed = ls;
  removed.erase(removed.begin() + 2);
  AuditVerdict r = verifyAuditChain(join(removed));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 3u);

  std::vector<std::string> headless(ls.begin() + 1, ls.end());
  EXPECT_FALSE(verifyAuditChain(join(headless)).ok);
}

using CdrTest = TempDir;

TEST_F(CdrTest, RotatesAndKeepsTheNewest) {
  prometheus::Registry registry;
  CdrWriterOptions o;
  o.directory = (dir_ / "cdr").string();
  o.max_file_bytes = 4096;
  o.max_files = 2;
  o.fsync_interval = std::chrono::milliseconds(10);
  CdrWriter w(o, registry);
  ASSERT_TRUE(w.start().ok());
  std::string record = "{\"call\":\"" + std::string(1000, 'x') + "\"}";
  for (int i = 0; i < 20; ++i) {
    w.write(record);
    if (i % 4 == 3) {
      w.flush();  // rotations at distinct moments, so "oldest" is well defined
      usleep(20000);
    }
  }
  w.flush();
  std::size_t rotated = 0;
  std::size_t records = 0;
  for (const auto& e : fs::directory_iterator(o.directory)) {
    std::string name = e.path().filename().string();
    rotated += name.rfind("cdr-", 0) == 0 ? 1 : 0;
    for (const std::string& l : lines(slurp(e.path()))) {
      EXPECT_EQ(l, record);
      ++records;
    }
    EXPECT_LE(fs::file_size(e.path()), o.max_file_bytes);
  }
  EXPECT_EQ(rotated, 2u);
  EXPECT_GE(records, 9u);  // current + two rotated files of 3-4 records each
}

TEST(CallQuality, EModel) {
  StreamQuality clean = estimateQuality({1000, 0, 0.5, std::nullopt}, "PCMU");
  EXPECT_NEAR(clean.mos, 4.4, 0.05);
  EXPECT_DOUBLE_EQ(clean.loss_ratio, 0);
  StreamQuality lossy = estimateQuality({950, 50, 0.5, std::nullopt}, "PCMA");
  EXPECT_NEAR(lossy.loss_ratio, 0.05, 1e-9);
  EXPECT_NEAR(lossy.mos, 3.9, 0.05);  // 5% random loss on G.711 with PLC: R about 77
  StreamQuality laggy = estimateQuality({1000, 0, 120, 300.0}, "PCMU");
  EXPECT_LT(laggy.mos, clean.mos - 0.5);  // ~410 ms mouth to ear
  EXPECT_LT(estimateQuality({1000, 0, 0.5, std::nullopt}, "G729").mos, clean.mos);
  EXPECT_DOUBLE_EQ(mosFromR(-5), 1);
  EXPECT_DOUBLE_EQ(mosFromR(120), 4.5);
}

}  // namespace
}  // namespace rampart::mgmt
