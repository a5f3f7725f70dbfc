// rampart-media-peer: sends and receives verified RTP/SRTP streams over kernel UDP sockets, for
// lab and integration tests of the dataplane. See docs/TOOLS.md.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "media_peer/options.h"
#include "media_peer/peer.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;

void onSignal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  using rampart::tools::MediaPeer;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = rampart::tools::parsePeerOptions(args);
  if (parsed.help) {
    std::fputs(rampart::tools::peerUsage(), stdout);
    return 0;
  }
  if (!parsed.options) {
    std::fprintf(stderr, "rampart-media-peer: %s\n(see rampart-media-peer --help)\n",
                 parsed.error.c_str());
    return 2;
  }
  const bool quiet = parsed.options->quiet;
  MediaPeer peer(std::move(*parsed.options));
  std::string error;
  if (!peer.open(error)) {
    std::fprintf(stderr, "rampart-media-peer: %s\n", error.c_str());
    return 1;
  }
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  peer.run(&g_stop);
  const auto report = peer.report();
  rampart::tools::writeJson(stdout, report);
  std::fflush(stdout);
  if (!quiet) {
    rampart::tools::writeSummary(stderr, report);
  }
  return 0;
}
