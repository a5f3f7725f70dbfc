#include <string>

#include <rampart/platform/config.h>

namespace rampart::platform {

std::string describeConfig(const Config& config) {
  std::string out;
  for (const Realm& realm : config.realms) {
    std::string head = "realm " + realm.name + " (" + sdpProfileName(realm.sdp_profile) + "): ";
    for (const SignallingListener& l : realm.signalling) {
      bool v6 = l.address.family == 6;
      out += head + "signalling " + transportName(l.transport) + " " + (v6 ? "[" : "") +
             l.address.text + (v6 ? "]" : "") + ":" + std::to_string(l.port) + "\n";
    }
    const MediaSettings& m = realm.media;
    out += head + "media " + m.address.text;
    if (m.address6) {
      out += " " + m.address6->text;
    }
    out += " ports " + std::to_string(m.port_min) + "-" + std::to_string(m.port_max) + " on";
    for (const std::string& d : m.devargs) {
      out += " " + d;
    }
    out += "\n";
  }
  const ManagementSettings& mg = config.management;
  std::string host = mg.address.family == 6 ? "[" + mg.address.text + "]" : mg.address.text;
  out += "metrics http://" + host + ":" + std::to_string(mg.controlplane_port) +
         "/metrics (control plane)\n";
  out +=
      "metrics http://" + host + ":" + std::to_string(mg.dataplane_port) + "/metrics (dataplane)\n";
  if (mg.api) {
    out += "api https://" + host + ":" + std::to_string(mg.api->port) + "/api/v1/ (" +
           std::to_string(mg.api->tokens.size()) + " token(s))\n";
  }
  return out;
}

}  // namespace rampart::platform
