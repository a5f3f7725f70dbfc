// RFC 3261 18.3 framing on TCP/TLS: messages split by Content-Length, however the bytes arrive.
#include <gtest/gtest.h>

#include "transport/stream_framer.h"

namespace rampart::cp {
namespace {

const std::string kMsg =
    "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 4\r\n\r\nabcd";

TEST(StreamFramer, SplitsMessagesAcrossArbitraryChunks) {
  std::string stream = kMsg + "\r\n\r\n" + kMsg + kMsg;
  for (std::size_t chunk : {1u, 3u, 17u, 4096u}) {
    StreamFramer f(65535);
    std::string out;
    int messages = 0;
    int pings = 0;
    for (std::size_t off = 0; off < stream.size(); off += chunk) {
      f.feed(std::string_view(stream).substr(off, chunk));
      for (;;) {
        auto st = f.next(&out);
        if (st == StreamFramer::Status::Message) {
          EXPECT_EQ(out, kMsg);
          ++messages;
        } else if (st == StreamFramer::Status::Ping) {
          ++pings;
        } else {
          ASSERT_NE(st, StreamFramer::Status::Error) << f.error();
          break;
        }
      }
    }
    EXPECT_EQ(messages, 3) << "chunk " << chunk;
    EXPECT_EQ(pings, 1) << "chunk " << chunk;
  }
}

TEST(StreamFramer, RefusesWhatCannotBeFramed) {
  std::string out;
  StreamFramer no_length(65535);
  no_length.feed("OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n");
  EXPECT_EQ(no_length.next(&out), StreamFramer::Status::Error);

  StreamFramer bad_length(65535);
  bad_length.feed("OPTIONS sip:x SIP/2.0\r\nl: -4\r\n\r\n");
  EXPECT_EQ(bad_length.next(&out), StreamFramer::Status::Error);

  StreamFramer too_big(100);
  too_big.feed("OPTIONS sip:x SIP/2.0\r\nContent-Length: 500\r\n\r\n");
  EXPECT_EQ(too_big.next(&out), StreamFramer::Status::Error);

  StreamFramer endless(100);
  endless.feed(std::string(200, 'a'));
  EXPECT_EQ(endless.next(&out), StreamFramer::Status::Error);
}

}  // namespace
}  // namespace rampart::cp
