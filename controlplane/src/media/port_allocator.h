#pragma once
// Media port pairs of one realm: an even RTP port and RTP+1 for RTCP, from the realm's
// configured range (media.port_min .. media.port_max).
//
// Free pairs wait in a FIFO: allocate takes the pair that has been free the longest and free
// appends, so a just-freed pair is reused last. Late packets of an ended call (retransmitting
// peers, stale NAT bindings) then reach a port nobody listens on instead of a new call.
// Allocate, free and reserve are O(1).
#include <cstdint>
#include <string>
#include <vector>

#include <rampart/platform/result.h>

namespace rampart::cp {

class PortAllocator {
 public:
  /// Every even port p in [portMin, portMax] with p + 1 <= portMax is a pair.
  PortAllocator(std::string realm, uint16_t portMin, uint16_t portMax);

  /// @return the RTP port of a free pair (RTCP is that + 1), or Error{Overloaded} when every
  ///   pair is in use.
  Result<uint16_t> allocate();
  /// Returns the pair whose RTP port is @p rtp to the back of the free queue.
  /// @return Error{InvalidArgument} for a port outside the range or odd, Error{NotFound} for a
  ///   pair that is not in use (a double free is refused, not counted twice).
  Result<void> free(uint16_t rtp);
  /// Marks the pair @p rtp as in use (state restored from a store or another node).
  /// @return Error{InvalidArgument} outside the range, Error{AlreadyExists} when in use.
  Result<void> reserve(uint16_t rtp);

  /// @return whether the pair is in use.
  bool inUse(uint16_t rtp) const;
  /// @return ports in use (two per pair): the gauge rampart_cp_media_ports_in_use{realm}.
  uint32_t portsInUse() const { return pairsInUse_ * 2; }
  uint32_t pairsInUse() const { return pairsInUse_; }
  uint32_t pairCapacity() const { return static_cast<uint32_t>(inUse_.size()); }
  const std::string& realm() const { return realm_; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  bool indexOf(uint16_t rtp, uint32_t& index) const;
  void unlink(uint32_t index);
  void pushBack(uint32_t index);

  std::string realm_;
  uint16_t first_ = 0;  // RTP port of pair 0
  // Free pairs as an intrusive doubly linked FIFO over pair indices, so reserve() can take a
  // pair out of the middle in O(1).
  std::vector<uint32_t> next_, prev_;
  std::vector<bool> inUse_;
  uint32_t head_ = kNone, tail_ = kNone;
  uint32_t pairsInUse_ = 0;
};

}  // namespace rampart::cp
