#pragma once
// What Rampart sends: the text writer and the per-m-line emitters shared by offers and answers.
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bridge_model.h"

namespace rampart::sdp::detail {

// Writes into a per-thread buffer that keeps its size between calls: no zero-filling on
// resize and no capacity check inside std::string::append for each of the ~100 small appends.
// finish() copies the result once into the exact-size string it returns.
class Out {
 public:
  // The body starts kHeaderRoom bytes into the buffer: finish() writes "v=0" and o= in front
  // of it, so the whole SDP is copied out in one piece.
  static constexpr size_t kHeaderRoom = 256;
  explicit Out(std::string& buf) : s_(buf) {
    if (s_.size() < kHeaderRoom + kInitial) {
      s_.resize(kHeaderRoom + kInitial);
    }
    cur_ = s_.data() + kHeaderRoom;
    end_ = s_.data() + s_.size();
  }
  // Appends every part after one room check. Always inlined: with a literal the copy becomes a
  // few moves instead of a memcpy call. The write position stays in a local: every store
  // through a char* may alias cur_, which would force a reload of it after each part.
  template <typename... Parts>
  [[gnu::always_inline]] Out& put(const Parts&... parts) {
    room((view(parts).size() + ...));
    char* p = cur_;
    ((p = copy(p, view(parts))), ...);
    cur_ = p;
    return *this;
  }
  [[gnu::always_inline]] Out& num(uint64_t v) {
    constexpr size_t kMaxDigits = 20;
    room(kMaxDigits);
    // Payload types, clock rates, ptimes and ports: up to five digits, two at a time from a
    // table, without a to_chars call.
    if (v < 100000) {
      auto n = static_cast<uint32_t>(v);
      if (n < 10) {
        *cur_++ = static_cast<char>('0' + n);
      } else if (n < 100) {
        pair(n);
      } else if (n < 1000) {
        *cur_++ = static_cast<char>('0' + n / 100);
        pair(n % 100);
      } else if (n < 10000) {
        pair(n / 100);
        pair(n % 100);
      } else {
        *cur_++ = static_cast<char>('0' + n / 10000);
        pair(n / 100 % 100);
        pair(n % 100);
      }
      return *this;
    }
    cur_ = std::to_chars(cur_, cur_ + kMaxDigits, v).ptr;
    return *this;
  }
  /// What was written; valid until the buffer is used again.
  std::string_view text() const {
    return {s_.data() + kHeaderRoom, static_cast<size_t>(cur_ - s_.data()) - kHeaderRoom};
  }

 private:
  // Typical output is 0.5-2 KiB.
  static constexpr size_t kInitial = 4096;
  [[gnu::always_inline]] static std::string_view view(std::string_view v) { return v; }
  [[gnu::always_inline]] static std::string_view view(const char& c) { return {&c, 1}; }
  // Most runtime-length parts (mids, codec names, addresses) are under 17 bytes: two
  // overlapping loads and stores instead of a memcpy call each.
  [[gnu::always_inline]] static char* copy(char* p, std::string_view v) {
    const size_t n = v.size();
    const char* s = v.data();
    if (__builtin_constant_p(n) || n > 16) {
      std::memcpy(p, s, n);
    } else if (n >= 8) {
      overlap<uint64_t>(p, s, n);
    } else if (n >= 4) {
      overlap<uint32_t>(p, s, n);
    } else if (n > 0) {
      p[0] = s[0];
      p[n / 2] = s[n / 2];
      p[n - 1] = s[n - 1];
    }
    return p + n;
  }
  template <typename W>
  [[gnu::always_inline]] static void overlap(char* p, const char* s, size_t n) {
    W head;
    W tail;
    std::memcpy(&head, s, sizeof(W));
    std::memcpy(&tail, s + n - sizeof(W), sizeof(W));
    std::memcpy(p, &head, sizeof(W));
    std::memcpy(p + n - sizeof(W), &tail, sizeof(W));
  }
  // Two decimal digits of @p n (< 100).
  void pair(uint32_t n) {
    static constexpr char kDigits[] =
        "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243"
        "4445464748495051525354555657585960616263646566676869707172737475767778798081828384858687"
        "888990919293949596979899";
    std::memcpy(cur_, kDigits + size_t{2} * n, 2);
    cur_ += 2;
  }
  // Inline check, out-of-line growth: the buffer only grows for the largest SDPs.
  [[gnu::always_inline]] void room(size_t n) {
    if (static_cast<size_t>(end_ - cur_) < n) [[unlikely]] {
      grow(n);
    }
  }
  [[gnu::noinline]] void grow(size_t n) {
    size_t len = static_cast<size_t>(cur_ - s_.data());
    s_.resize(std::max(s_.size() * 2, len + n));
    cur_ = s_.data() + len;
    end_ = s_.data() + s_.size();
  }
  std::string& s_;
  char* cur_ = nullptr;
  char* end_ = nullptr;
};

// The per-thread output buffer; offer() and answer() never nest.
std::string& bodyScratch();

inline std::string_view addrType(std::string_view address) {
  return address.find(':') != std::string_view::npos ? "IP6" : "IP4";
}

inline Error missing(const char* what) {
  return makeError(ErrorCode::MissingLocalParameter, 0, what);
}

inline uint16_t rtcpPort(const PortPair& p) {
  return p.rtcp != 0 ? p.rtcp : static_cast<uint16_t>(p.rtp + 1);
}

// What one emitted m-line needs; shared by offers and answers.
struct Emit {
  std::string_view kind, proto, first_format, mid, setup;
  bool active = false;
  Direction direction = Direction::SendRecv;
  const std::vector<Bridge::CodecEntry>* codecs = nullptr;
  bool use_out_pt = true;  // offers use ptOut, answers pt
  uint32_t ptime = 0, maxptime = 0;
  bool rtcp_mux = false;
  uint32_t crypto_tag = 0;
  std::string_view crypto_suite;
  bool dtls = true;                   // toward a browser: a=fingerprint and a=setup
  bool sdes = false;                  // toward a browser: a=crypto with local.sdes_keys[0]
  const Stream* pass_from = nullptr;  // source of allow-listed attributes
  size_t slot = 0;
};

void putRtpmap(Out& o, const Bridge::CodecEntry& c, uint8_t pt);
Result<bool> emitTrunkMedia(Out& o, const LegConfig& leg, const Emit& e);
Result<bool> emitWebRtcMedia(Out& o, const LegConfig& leg, const Emit& e);
void emitSessionTail(Out& o, const LegConfig& leg, std::span<const std::string_view> bundle);
// Per-thread scratch for the plan of one emitted SDP (m-lines, BUNDLE mids): reused, so
// building an offer or answer does not allocate them afresh (measured: docs/PERFORMANCE.md).
// offer() and answer() never nest.
std::vector<Emit>& emitScratch(size_t n);
std::vector<std::string_view>& bundleScratch();
// The transport protocol Rampart offers toward a profile.
std::string_view targetProto(const Profile& p, std::string_view kind);
// ... toward one m-line of that profile (one of a dual offer's twins has its own).
std::string_view slotProto(const Profile& p, const Bridge::Slot& slot);

}  // namespace rampart::sdp::detail
