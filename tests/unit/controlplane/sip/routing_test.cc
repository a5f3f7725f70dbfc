// Routes from the configuration: first match by source realm and Request-URI user, targets in
// failover order with their transport and port.
#include <gtest/gtest.h>

#include <set>

#include "b2bua/routing.h"

namespace rampart::cp {
namespace {

platform::Config load() {
  const char* yaml = R"(
realms:
  - name: wan
    signalling: [{transport: udp, address: 198.18.1.1}]
    media: {devargs: "net_null0", address: 198.18.2.1, port_min: 20000, port_max: 20099}
  - name: lan
    signalling: [{transport: udp, address: 198.18.3.1}]
    media: {devargs: "net_null1", address: 198.18.4.1, port_min: 30000, port_max: 30099}
routes:
  - {name: emergency, from: wan, to: lan, match_user: "^11[02]$", target: "sip:198.18.3.9"}
  - {name: pbx, from: wan, to: lan, targets: ["sip:198.18.3.2:5070;transport=tcp", "sips:198.18.3.3"]}
management: {address: 127.0.0.1}
)";
  auto r = platform::loadConfigText(yaml, "");
  EXPECT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].reason);
  return *r.config;
}

TEST(Router, FirstMatchingRouteWithTargetsInOrder) {
  platform::Config c = load();
  Router router(c);
  auto e = router.route(0, "112");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->route, "emergency");
  EXPECT_EQ(e->targets.size(), 1u);
  EXPECT_EQ(e->targets[0].dst.port, 5060);

  auto p = router.route(0, "600");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->route, "pbx");
  EXPECT_EQ(p->to_realm, 1u);
  ASSERT_EQ(p->targets.size(), 2u);
  EXPECT_EQ(p->targets[0].dst.transport, Transport::Tcp);
  EXPECT_EQ(p->targets[0].dst.port, 5070);
  EXPECT_EQ(p->targets[1].dst.transport, Transport::Tls);
  EXPECT_EQ(p->targets[1].dst.port, 5061);

  EXPECT_FALSE(router.route(1, "600"));  // nothing routes from lan
}

TEST(Router, EqualPrioritiesSharedByWeightLowerPriorityFirst) {
  const char* yaml = R"(
realms:
  - name: wan
    signalling: [{transport: udp, address: 198.18.1.1}]
    media: {devargs: "net_null0", address: 198.18.2.1, port_min: 20000, port_max: 20099}
  - name: lan
    signalling: [{transport: udp, address: 198.18.3.1}]
    media: {devargs: "net_null1", address: 198.18.4.1, port_min: 30000, port_max: 30099}
routes:
  - name: trunk
    from: wan
    to: lan
    targets:
      - {uri: "sip:198.18.3.5", priority: 20}
      - {uri: "sip:198.18.3.2", priority: 10, weight: 3}
      - {uri: "sip:198.18.3.3", priority: 10, weight: 1}
      - {uri: "sip:pbx.example.net;transport=tcp", priority: 30}
management: {address: 127.0.0.1}
)";
  auto r = platform::loadConfigText(yaml, "");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].reason);
  Router router(*r.config);
  // A number at the top of [1, 4] passes the first (weight 3) entry: .3 leads.
  auto high = router.route(0, "600", [](uint32_t bound) { return bound; });
  ASSERT_TRUE(high);
  ASSERT_EQ(high->targets.size(), 4u);
  EXPECT_EQ(high->targets[0].uri.host, "198.18.3.3");
  EXPECT_EQ(high->targets[1].uri.host, "198.18.3.2");
  EXPECT_EQ(high->targets[2].uri.host, "198.18.3.5");
  EXPECT_EQ(high->targets[3].uri.host, "pbx.example.net");
  EXPECT_TRUE(high->targets[3].needs_dns);
  EXPECT_EQ(high->targets[3].dst.transport, Transport::Tcp);
  EXPECT_FALSE(high->targets[0].needs_dns);
  auto low = router.route(0, "600", [](uint32_t) { return 1u; });
  EXPECT_EQ(low->targets[0].uri.host, "198.18.3.2");
  // Over many calls .2 leads about three times in four.
  int first = 0;
  for (int i = 0; i < 4000; ++i) {
    first += router.route(0, "600")->targets[0].uri.host == "198.18.3.2";
  }
  EXPECT_NEAR(first / 4000.0, 0.75, 0.03);
}

TEST(Router, PlainTargetListsKeepTheirFailoverOrder) {
  platform::Config c = load();
  Router router(c);
  for (int i = 0; i < 20; ++i) {
    auto p = router.route(0, "600");
    EXPECT_EQ(p->targets[0].uri.host, "198.18.3.2");
    EXPECT_EQ(p->targets[1].uri.host, "198.18.3.3");
  }
}

TEST(Router, ConfigRefusesBadTargetEntriesAndDnsServers) {
  const char* yaml = R"(
realms:
  - name: wan
    signalling: [{transport: udp, address: 198.18.1.1}]
    media: {devargs: "net_null0", address: 198.18.2.1, port_min: 20000, port_max: 20099}
routes:
  - {name: r, from: wan, to: wan, targets: [{uri: "sip:a.example", weight: 70000}, {priority: 1}]}
sip: {dns_servers: ["198.18.0.53:5353", "[2001:db8::53]:53", "not-an-address", "1.2.3.4:99999"]}
management: {address: 127.0.0.1}
)";
  auto r = platform::loadConfigText(yaml, "");
  EXPECT_FALSE(r.config.has_value());
  std::set<std::string> keys;
  for (const auto& e : r.errors) {
    keys.insert(e.key);
  }
  EXPECT_TRUE(keys.count("routes[0].targets[0].weight")) << r.errors.size();
  EXPECT_TRUE(keys.count("routes[0].targets[1].uri"));
  EXPECT_TRUE(keys.count("sip.dns_servers[2]"));
  EXPECT_TRUE(keys.count("sip.dns_servers[3]"));
  EXPECT_FALSE(keys.count("sip.dns_servers[0]"));
  EXPECT_FALSE(keys.count("sip.dns_servers[1]"));
}

}  // namespace
}  // namespace rampart::cp
