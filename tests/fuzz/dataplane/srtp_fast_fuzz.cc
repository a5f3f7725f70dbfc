// Fuzz target: the SRTP fast path (srtp/srtp_fast.h) on untrusted packets. Each input programs
// fresh fast-path contexts for every suite (an inbound one per suite, and the matching sender
// so records can reach what follows authentication), then feeds bursts of records:
//   [selector][length][length bytes]
//   selector bits 0-1: suite; bit 2: SRTCP; bit 3: protect with the sender first (then
//   bits 4-7 pick a byte to flip, 0: none), else the bytes go in as received; bit 7 of the
//   length byte ends the burst after this record.
// Buffers are exactly as large as the packet (protect gets exactly its trailer room), so any
// read or write past a packet is an AddressSanitizer report. Invariants: the result is a drop
// reason or success, a successful unprotect shortens the packet, and a protected packet stays
// within its capacity.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "srtp/srtp_ctx.h"
#include "srtp/srtp_fast.h"

namespace {

using namespace rampart;
using namespace rampart::dp;

constexpr abi::SrtpSuite kSuites[4] = {
    abi::SrtpSuite::AesCm128HmacSha1_80, abi::SrtpSuite::AesCm128HmacSha1_32,
    abi::SrtpSuite::AeadAes128Gcm, abi::SrtpSuite::AeadAes256Gcm};

abi::SrtpParams key(abi::SrtpSuite s) {
  abi::SrtpParams p{};
  p.suite = s;
  p.key_len = static_cast<uint8_t>(srtpKeyLen(s));
  for (uint32_t i = 0; i < p.key_len; ++i) {
    p.key[i] = static_cast<uint8_t>(0x40 + i);
  }
  return p;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "srtp_fast_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

struct Record {
  std::vector<uint8_t> buf;
  uint32_t len;
  SrtpCtx* ctx;
  bool rtcp;
};

// The sender's protection of `bytes` (when it accepts them), else the bytes as they are.
Record makeRecord(SrtpCtx& sender, SrtpCtx& receiver, uint8_t sel, const uint8_t* bytes,
                  uint32_t n) {
  bool rtcp = (sel & 4) != 0;
  Record r{std::vector<uint8_t>(bytes, bytes + n), n, &receiver, rtcp};
  if ((sel & 8) != 0) {
    std::vector<uint8_t> p(n + kSrtpMaxTrailer);
    std::memcpy(p.data(), bytes, n);
    uint32_t len = n;
    auto cap = static_cast<uint32_t>(p.size());
    DropReason d =
        rtcp ? sender.protectRtcp(p.data(), &len, cap) : sender.protectRtp(p.data(), &len, cap);
    if (d == kNoDrop) {
      check(len <= cap, "protect stayed within capacity");
      p.resize(len);
      uint32_t flip = sel >> 4;
      if (flip != 0 && len != 0) {
        p[flip % len] ^= 0x5a;
      }
      r.buf = std::move(p);
      r.len = len;
    }
  }
  return r;
}

void runBurst(std::vector<Record>& burst) {
  std::vector<SrtpOp> ops;
  ops.reserve(burst.size());
  for (Record& r : burst) {
    ops.push_back(SrtpOp{r.ctx, r.buf.data(), r.len, r.len, r.rtcp, kNoDrop});
  }
  srtpUnprotectBurst(ops.data(), static_cast<uint32_t>(ops.size()));
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].result == kNoDrop) {
      check(ops[i].len < burst[i].len, "unprotect shortened the packet");
    }
  }
  burst.clear();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool ready = srtpGlobalInit() && fastSrtpMgr() != nullptr;
  check(ready, "SRTP set-up");
  srtpSetFastPath(true);
  SrtpCtx senders[4];
  SrtpCtx receivers[4];
  for (int i = 0; i < 4; ++i) {
    check(senders[i].init(key(kSuites[i]), SrtpCtx::Dir::Outbound) == abi::kOk, "sender");
    check(receivers[i].init(key(kSuites[i]), SrtpCtx::Dir::Inbound) == abi::kOk, "receiver");
    check(receivers[i].engine() == abi::kSrtpEngineFast, "fast path in use");
  }
  std::vector<Record> burst;
  size_t pos = 0;
  while (pos + 2 <= size && burst.size() < 64) {
    uint8_t sel = data[pos];
    uint8_t lb = data[pos + 1];
    uint32_t n = lb & 0x7f;
    n = n * 12;  // up to 1524 bytes from one length byte
    pos += 2;
    if (n > size - pos) {
      n = static_cast<uint32_t>(size - pos);
    }
    uint32_t s = sel & 3;
    burst.push_back(makeRecord(senders[s], receivers[s], sel, data + pos, n));
    pos += n;
    if ((lb & 0x80) != 0) {
      runBurst(burst);
    }
  }
  runBurst(burst);
  return 0;
}
