#pragma once
// The write side of a session: a BIO that keeps every write as a datagram of its own.
// OpenSSL's DTLS layer packs records into datagrams of at most the MTU and writes each one
// with a single BIO_write (through its flight buffer), so one write is one datagram to send.
// A memory BIO would concatenate them and lose those boundaries.
#include <openssl/bio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rampart::cp::dtls {

struct DatagramSink {
  std::vector<uint8_t> bytes;  // datagrams back to back
  std::vector<size_t> ends;    // end offset of each datagram in `bytes`

  void clear() {
    bytes.clear();
    ends.clear();
  }
};

/// A new BIO writing into @p sink (not owned; must outlive the BIO). Reads are refused.
/// @return the BIO, or nullptr when OpenSSL cannot allocate one.
BIO* newDatagramBio(DatagramSink* sink);

}  // namespace rampart::cp::dtls
