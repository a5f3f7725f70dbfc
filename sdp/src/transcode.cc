// Transcoding in offer/answer: which codecs Rampart adds to an offer, and what an answer that
// kept only those means (docs/ARCHITECTURE.md, "Transcoding").
#include "bridge_model.h"

namespace rampart::sdp::detail {
namespace {

struct Known {
  const char* name;
  uint32_t clock;
  uint16_t channels;
  uint8_t static_pt;  // 0 for PCMU is a real static number; dynamic codecs start at 96
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
  e.pt = e.pt_out = k.static_pt;
  e.name = k.name;
  e.clock = k.clock;
  e.channels = k.channels;
  e.explicit_channels = k.channels != 1;
  e.fmtp = k.fmtp;
  e.synthetic = true;
  return e;
}

// The offerer's codecs Rampart can decode, in its order, allowed by its own realm; then its
// telephone-events.
std::vector<Bridge::CodecEntry> ownCodecs(const Stream& stream, const Profile& offerer_profile) {
  std::vector<Bridge::CodecEntry> own;
  const std::vector<std::string>& policy = offerer_profile.audio_codecs;
  for (int events = 0; events < 2; ++events) {
    for (const CodecView& c : stream.codecs) {
      bool ok = events == 0 ? known(c.name) != nullptr && listed(policy, c.name)
                            : isEvent(c.name) && listed(policy, "telephone-event");
      if (ok) {
        own.push_back(Bridge::CodecEntry{c.pt, c.pt, std::string(c.name), c.clock, c.channels,
                                         c.explicit_channels, std::string(c.fmtp), false});
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

void addTranscodable(const Stream& stream, const Profile& offerer_profile,
                     const Profile& answerer_profile, Bridge::OffererSlot& offered) {
  offered.own = ownCodecs(stream, offerer_profile);
  if (offered.own.empty() || isEvent(offered.own.front().name)) {
    return;  // nothing of the offerer's that Rampart can decode
  }
  bool own_events = isEvent(offered.own.back().name);
  std::vector<Bridge::CodecEntry>& codecs = offered.codecs;
  auto first_event = codecs.begin();
  while (first_event != codecs.end() && !isEvent(first_event->name)) {
    ++first_event;
  }
  std::vector<Bridge::CodecEntry> added;
  for (const std::string& name : answerer_profile.audio_codecs) {
    const Known* k = known(name);
    if (k != nullptr && listed(answerer_profile.transcode_codecs, name) &&
        !hasCodec(codecs, k->name, k->clock) && !hasCodec(added, k->name, k->clock)) {
      added.push_back(synthetic(*k));
    }
  }
  size_t at = static_cast<size_t>(first_event - codecs.begin());
  codecs.insert(codecs.begin() + static_cast<std::ptrdiff_t>(at), added.begin(), added.end());
  // telephone-event at each added clock rate, so DTMF can be mapped (RFC 4733 needs one per
  // rate), when the offerer signals events and the answerer's realm keeps them.
  if (!own_events || !listed(answerer_profile.audio_codecs, "telephone-event")) {
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
                     uint8_t event_pt, uint32_t ptime) {
  TranscodeSide s;
  s.encoding = c.name;
  s.pt = pt;
  s.clock_rate = c.clock;
  s.channels = c.channels;
  s.fmtp.assign(fmtp);
  s.event_pt = event_pt;
  s.ptime = ptime;
  return s;
}

}  // namespace

bool settleTranscoding(std::vector<Bridge::CodecEntry>& accepted,
                       const Bridge::OffererSlot& offered, const Stream& answered,
                       TranscodeSide* offerer_side, TranscodeSide* answerer_side) {
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
  uint8_t their_event = 0;
  for (const Bridge::CodecEntry& c : accepted) {
    their_event = isEvent(c.name) && c.clock == theirs->clock ? c.pt_out : their_event;
  }
  std::string_view their_fmtp = theirs->fmtp;
  for (const CodecView& v : answered.codecs) {
    their_fmtp = v.pt == theirs->pt_out ? v.fmtp : their_fmtp;
  }
  *answerer_side = sideOf(*theirs, theirs->pt_out, their_fmtp, their_event, answered.ptime);
  std::vector<Bridge::CodecEntry> back{ours};
  back.front().pt_out = ours.pt;
  uint8_t our_event = 0;
  for (const Bridge::CodecEntry& c : offered.own) {
    if (isEvent(c.name) && c.clock == ours.clock && our_event == 0) {
      our_event = c.pt;
      back.push_back(c);
    }
  }
  *offerer_side = sideOf(ours, ours.pt, ours.fmtp, our_event, offered.ptime);
  if (const Known* k = known(ours.name); k != nullptr) {
    back.front().fmtp = k->fmtp;  // our receive preferences (Opus: FEC), not the offerer's
  }
  accepted = std::move(back);
  return true;
}

}  // namespace rampart::sdp::detail
