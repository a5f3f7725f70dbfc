// Ban list: expiry, extension, removal, the cap, and listeners hearing every change.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "security/ban_list.h"
#include "security/ban_store.h"

namespace rampart::cp::security {
namespace {

struct Recorder : BanList::Listener {
  std::vector<std::string> events;
  void onBanAdded(const Ban& b) override { events.push_back("add " + b.address.str()); }
  void onBanRemoved(const Ban& b, const char* why) override {
    events.push_back(std::string(why) + " " + b.address.str());
  }
};

AddressKey addr(const std::string& text) {
  return AddressKey::of(boost::asio::ip::make_address(text));
}

TEST(BanList, ExpiresExtendsAndRemoves) {
  BanList bans(2);
  Recorder rec;
  bans.addListener(&rec);
  ASSERT_TRUE(bans.add(addr("198.18.1.1"), 100, "rate"));
  ASSERT_TRUE(bans.add(addr("2001:2::5"), 50, "auth"));
  EXPECT_FALSE(bans.add(addr("198.18.1.2"), 100, "rate"));  // full
  EXPECT_TRUE(bans.contains(addr("198.18.1.1"), 99));
  EXPECT_FALSE(bans.contains(addr("198.18.1.1"), 100));     // due, even before the sweep
  EXPECT_TRUE(bans.add(addr("2001:2::5"), 200, "manual"));  // extends
  EXPECT_EQ(bans.expire(100), 1u);
  EXPECT_TRUE(bans.contains(addr("2001:2::5"), 150));
  EXPECT_TRUE(bans.remove(addr("2001:2::5")));
  EXPECT_FALSE(bans.remove(addr("2001:2::5")));
  EXPECT_EQ(bans.size(), 0u);
  std::vector<std::string> want = {"add 198.18.1.1", "add 2001:2::5", "add 2001:2::5",
                                   "expired 198.18.1.1", "removed 2001:2::5"};
  EXPECT_EQ(rec.events, want);
}

TEST(BanStore, SurvivesARestartAndSkipsExpiredAndBadLines) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("rampart-bans-" + std::to_string(getpid()) + ".txt"))
                         .string();
  {
    BanList bans(10);
    BanStore store(path, bans);
    bans.addListener(&store);
    EXPECT_EQ(store.load(1000), 0u);  // no file yet
    bans.add(addr("198.18.1.1"), 2000, "rate");
    bans.add(addr("2001:2::5"), 1500, "manual");
    bans.add(addr("198.18.1.3"), 1100, "auth");
    ASSERT_TRUE(store.flush());
  }
  { std::ofstream(path, std::ios::app) << "not-an-address 3000 rate\n198.18.1.9 x rate\n"; }
  BanList again(10);
  BanStore store(path, again);
  again.addListener(&store);
  EXPECT_EQ(store.load(1200), 2u);  // two bad lines; 198.18.1.3 expired at 1100
  EXPECT_EQ(again.size(), 2u);
  EXPECT_TRUE(again.contains(addr("198.18.1.1"), 1999));
  EXPECT_TRUE(again.contains(addr("2001:2::5"), 1499));
  ASSERT_TRUE(store.flush());  // rewritten without the bad lines
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("not-an-address"), std::string::npos);
  EXPECT_NE(text.find("2001:2::5 1500 manual"), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace rampart::cp::security
