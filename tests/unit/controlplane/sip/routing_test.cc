// Routes from the configuration: first match by source realm and Request-URI user, targets in
// failover order with their transport and port.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace rampart::cp
