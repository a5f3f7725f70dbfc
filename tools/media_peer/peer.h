#pragma once
// The media peer engine: one UDP socket per stream (plus one for separate RTCP), a send
// schedule of 20 ms packets phased across streams, packets built and SRTP-protected ahead of
// their send time, and a receive path that authenticates and verifies every packet.
// Single-threaded: one epoll loop does both directions, bounded by the run's end time.
#include <csignal>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "media_peer/options.h"
#include "media_peer/rtcp.h"
#include "media_peer/srtp_session.h"
#include "media_peer/stats.h"

struct mmsghdr;
struct sockaddr_storage;

namespace rampart::tools {

class MediaPeer {
 public:
  explicit MediaPeer(PeerOptions options);
  ~MediaPeer();
  MediaPeer(const MediaPeer&) = delete;
  MediaPeer& operator=(const MediaPeer&) = delete;

  // Binds every socket and creates the SRTP sessions. @return false with `error` set.
  bool open(std::string& error);
  // Runs until the send window plus drain time has passed or `*stop` becomes non-zero.
  void run(const volatile std::sig_atomic_t* stop);
  RunReport report() const;

 private:
  struct Stream {
    int rtp_fd = -1;
    int rtcp_fd = -1;  // -1 unless --rtcp separate
    SockAddr remote_rtp;
    SockAddr remote_rtcp;
    uint32_t ssrc = 0;
    uint16_t seq0 = 0;
    uint32_t ts0 = 0;
    std::optional<SrtpSession> tx;
    std::optional<SrtpSession> rx;
    uint64_t sent_packets = 0;
    uint64_t sent_octets = 0;
    // Without --remote (recv mode), RTCP reports go back to where the far end's RTCP came
    // from, the symmetric behaviour relays expect.
    std::optional<SockAddr> rtcp_source;
  };

  bool openSocket(const SockAddr& local, int& fd, std::string& error);
  uint64_t dueNs(uint64_t g) const;
  uint64_t sendAtNs(uint64_t g) const;  // dueNs plus the induced delay (--jitter-ms)
  bool impairedDrop(uint64_t g) const;  // --loss-pct says packet g is not sent
  void buildPacket(uint64_t g);
  void fillAhead();
  void sendDue(uint64_t now);
  void sendBatch(uint32_t stream, const std::vector<uint64_t>& packets, uint64_t now);
  void sendRtcp();
  void sendHeldRtcp(uint64_t now);  // --rtcp-delay-ms: what is due of held_rtcp_
  void countRtt(const RtcpSummary& sum);
  void drainSocket(uint32_t stream, bool rtcp_socket);
  void onDatagram(uint32_t stream, uint8_t* buf, std::size_t len, const mmsghdr& msg,
                  const sockaddr_storage& from);
  void onRtp(uint32_t stream, uint8_t* buf, int len, uint64_t rx_ns);
  void onRtcp(uint32_t stream, uint8_t* buf, int len, const sockaddr_storage& from,
              socklen_t from_len);

  PeerOptions o_;
  std::vector<Stream> streams_;
  std::vector<StreamRx> rx_;
  RxTotals rx_totals_;
  TxTotals tx_totals_;
  int epoll_fd_ = -1;

  // Send schedule: packet g is packet g / N of stream g % N.
  uint64_t start_ns_ = 0;
  uint64_t send_end_ns_ = 0;
  uint64_t end_ns_ = 0;
  uint64_t total_ = 0;    // packets to send over all streams
  uint64_t g_sent_ = 0;   // next packet to send
  uint64_t g_built_ = 0;  // next packet to build
  uint64_t ring_slots_ = 0;
  std::size_t slot_bytes_ = 0;
  std::vector<uint8_t> ring_;
  std::vector<uint32_t> ring_len_;
  uint64_t next_rtcp_ns_ = 0;
  struct HeldRtcp {
    uint64_t at_ns;
    int fd;
    SockAddr to;
    std::vector<uint8_t> bytes;
  };
  std::deque<HeldRtcp> held_rtcp_;  // in send order (a constant delay keeps it sorted)
  // CLOCK_REALTIME minus CLOCK_MONOTONIC: converts kernel receive timestamps.
  int64_t realtime_offset_ns_ = 0;
  double elapsed_s_ = 0;
  bool interrupted_ = false;
};

}  // namespace rampart::tools
