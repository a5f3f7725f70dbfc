// Transcoding in offer/answer: which codecs Rampart adds to an offer, and what an answer that
// kept only those means (docs/ARCHITECTURE.md, "Transcoding").
#include "bridge_model.h"

namespace rampart::sdp::detail {
namespace {

struct Known {
  const char* name;
  uint32_t clock;
  uint16_t channels;
  uint8_t staticPt;  // 0 for PCMU is a real static number; dynamic codecs start at 96
  const char* fmtp;
};
// What rampart-transcoder can decode and encode. Opus: RFC 7587 always signals /48000/2; we
// want FEC from the peer and encode mono (stereo=0 is the default, so it is not written).
constexpr Known kKnown[] = {
    {"PCMU", 8000, 1, 0, ""},
    {"PCMA", 8000, 1, 8, ""},
    {"G722", 8000, 1, 9, ""},
    {"opus", 48000, 2, 111, "minptime=10;useinbandfec=1"},
};

const Known* known(std::string_view name) {
  for (const Known& k : kKnown) {
    if (sameName(name, k.name)) {
      return &k;
    }
  }
  return nullptr;
}

bool listed(const std::vector<std::string>& list, std::string_view name) {
  for (const std::string& n : list) {
    if (sameName(n, name)) {
      return true;
    }
  }
  return false;
}

Bridge::CodecEntry synthetic(const Known& k) {
  Bridge::CodecEntry e;
  e.pt = e.ptOut = k.staticPt;
  e.name = k.name;
  e.clock = k.clock;
  e.channels = k.channels;
  e.explicitChannels = k.channels != 1;
  e.fmtp = k.fmtp;
  e.synthetic = true;
  return e;
}

// The offerer's codecs Rampart can decode, in its order, allowed by its own realm; then its
// telephone-events.
std::vector<Bridge::CodecEntry> ownCodecs(const Stream& stream, const Profile& offererProfile) {
  std::vector<Bridge::CodecEntry> own;
  const std::vector<std::string>& policy = offererProfile.audioCodecs;
  for (int events = 0; events < 2; ++events) {
    for (const CodecView& c : stream.codecs) {
      bool ok = events == 0 ? known(c.name) != nullptr && listed(policy, c.name)
                            : isEvent(c.name) && listed(policy, "telephone-event");
      if (ok) {
        own.push_back(Bridge::CodecEntry{c.pt, c.pt, std::string(c.name), c.clock, c.channels,
                                         c.explicitChannels, std::string(c.fmtp), false});
      }
    }
  }
  return own;
}

bool hasCodec(const std::vector<Bridge::CodecEntry>& v, std::string_view name, uint32_t clock) {
  for (const Bridge::CodecEntry& c : v) {
    if (sameName(c.name, name) && c.clock == clock) {
      return true;
    }
  }
  return false;
}

}  // namespace

void addTranscodable(const Stream& stream, const Profile& offererProfile,
                     const Profile& answererProfile, Bridge::OffererSlot& offered) {
  offered.own = ownCodecs(stream, offererProfile);
  if (offered.own.empty() || isEvent(offered.own.front().name)) {
    return;  // nothing of the offerer's that Rampart can decode
  }
  bool ownEvents = isEvent(offered.own.back().name);
  std::vector<Bridge::CodecEntry>& codecs = offered.codecs;
  auto firstEvent = codecs.begin();
  while (firstEvent != codecs.end() && !isEvent(firstEvent->name)) {
    ++firstEvent;
  }
  std::vector<Bridge::CodecEntry> added;
  for (const std::string& name : answererProfile.audioCodecs) {
    const Known* k = known(name);
    if (k != nullptr && listed(answererProfile.transcodeCodecs, name) &&
        !hasCodec(codecs, k->name, k->clock) && !hasCodec(added, k->name, k->clock)) {
      added.push_back(synthetic(*k));
    }
  }
  size_t at = static_cast<size_t>(firstEvent - codecs.begin());
  codecs.insert(codecs.begin() + static_cast<std::ptrdiff_t>(at), added.begin(), added.end());
  // telephone-event at each added clock rate, so DTMF can be mapped (RFC 4733 needs one per
  // rate), when the offerer signals events and the answerer's realm keeps them.
  if (!ownEvents || !listed(answererProfile.audioCodecs, "telephone-event")) {
    return;
  }
  for (const Bridge::CodecEntry& a : added) {
    if (!hasCodec(codecs, "telephone-event", a.clock)) {
      Bridge::CodecEntry ev{101, 101, "telephone-event", a.clock, 1, false, "0-16", true};
      codecs.push_back(std::move(ev));
    }
  }
}

namespace {

TranscodeSide sideOf(const Bridge::CodecEntry& c, uint8_t pt, std::string_view fmtp,
                     uint8_t eventPt, uint32_t ptime) {
  TranscodeSide s;
  s.encoding = c.name;
  s.pt = pt;
  s.clockRate = c.clock;
  s.channels = c.channels;
  s.fmtp.assign(fmtp);
  s.eventPt = eventPt;
  s.ptime = ptime;
  return s;
}

}  // namespace

bool settleTranscoding(std::vector<Bridge::CodecEntry>& accepted,
                       const Bridge::OffererSlot& offered, const Stream& answered,
                       TranscodeSide* offererSide, TranscodeSide* answererSide) {
  const Bridge::CodecEntry* theirs = nullptr;  // the answerer's codec, one Rampart added
  bool shared = false;
  for (const Bridge::CodecEntry& c : accepted) {
    shared = shared || (!c.synthetic && !isEvent(c.name));
    if (theirs == nullptr && c.synthetic && !isEvent(c.name)) {
      theirs = &c;
    }
  }
  if (shared || theirs == nullptr) {
    std::erase_if(accepted, [](const Bridge::CodecEntry& c) { return c.synthetic; });
    return false;  // relayed: the offerer never offered what Rampart added
  }
  const Bridge::CodecEntry& ours = offered.own.front();  // the offerer's preferred codec
  uint8_t theirEvent = 0;
  for (const Bridge::CodecEntry& c : accepted) {
    theirEvent = isEvent(c.name) && c.clock == theirs->clock ? c.ptOut : theirEvent;
  }
  std::string_view theirFmtp = theirs->fmtp;
  for (const CodecView& v : answered.codecs) {
    theirFmtp = v.pt == theirs->ptOut ? v.fmtp : theirFmtp;
  }
  *answererSide = sideOf(*theirs, theirs->ptOut, theirFmtp, theirEvent, answered.ptime);
  std::vector<Bridge::CodecEntry> back{ours};
  back.front().ptOut = ours.pt;
  uint8_t ourEvent = 0;
  for (const Bridge::CodecEntry& c : offered.own) {
    if (isEvent(c.name) && c.clock == ours.clock && ourEvent == 0) {
      ourEvent = c.pt;
      back.push_back(c);
    }
  }
  *offererSide = sideOf(ours, ours.pt, ours.fmtp, ourEvent, offered.ptime);
  if (const Known* k = known(ours.name); k != nullptr) {
    back.front().fmtp = k->fmtp;  // our receive preferences (Opus: FEC), not the offerer's
  }
  accepted = std::move(back);
  return true;
}

}  // namespace rampart::sdp::detail
