#include <rampart/sdp/attributes.h>
#include <rampart/sdp/normalize.h>

#include <memory>
#include <string>

#include "text.h"

namespace rampart::sdp {

LegConfig defaultLegConfig(ProfileKind kind) {
  LegConfig c;
  auto profile = std::make_shared<Profile>();
  profile->kind = kind;
  if (kind == ProfileKind::WebRtc) {
    // Documentation addresses (RFC 5737) and fixed credentials: deterministic output for tests
    // and for operators comparing runs. Production values always come from the control plane.
    c.local.address = "203.0.113.10";
    c.local.ports = {PortPair{40000, 0}};
    c.local.ice_ufrag = "rmpt";
    c.local.ice_pwd = "rampartIcePassword0123456";
    c.local.fingerprint =
        "5A:6C:2B:8E:41:F0:93:1D:7C:AA:02:4E:B5:68:D9:13:E7:30:C4:9F:58:0B:A6:71:2D:E8:4C:95:"
        "3F:B1:06:D2";
    c.local.sdes_keys = {"V2ViUlRDU0RFU2tleUZvclRoZUxhYkRlbW8wMTIz"};
    c.local.session_id = 4000000001;
    profile->video_codecs = {"VP8", "H264"};
    profile->ptime = 0;
  } else {
    c.local.address = "198.51.100.10";
    c.local.ports = {PortPair{30000, 30001}, PortPair{30002, 30003}, PortPair{30004, 30005},
                     PortPair{30006, 30007}};
    c.local.sdes_keys = {
        "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk",
        "ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3", "OTg3NjU0MzIxMDk4NzY1NDMyMTA5ODc2NTQzMjEw"};
    c.local.session_id = 3000000001;
  }
  c.profile = std::move(profile);
  return c;
}

namespace {

std::vector<std::string> splitList(std::string_view v) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t n = 0; n < 64 && pos <= v.size(); ++n) {
    size_t comma = v.find(',', pos);
    if (comma == std::string_view::npos) {
      comma = v.size();
    }
    if (comma > pos) {
      out.emplace_back(v.substr(pos, comma - pos));
    }
    pos = comma + 1;
  }
  return out;
}

Error badOption(std::string_view key, std::string_view why) {
  return makeError(ErrorCode::BadOption, 0, std::string(key) + ": " + std::string(why));
}

bool parseOnOff(std::string_view v, bool& out) {
  if (v == "on" || v == "yes" || v == "true" || v == "1") {
    out = true;
    return true;
  }
  if (v == "off" || v == "no" || v == "false" || v == "0") {
    out = false;
    return true;
  }
  return false;
}

}  // namespace

namespace {

// The keys of LocalMedia; false when @p key is not one of them.
Result<bool> applyLocalOption(LocalMedia& local, std::string_view key, std::string_view value) {
  if (key == "address") {
    if (value.empty() || value.size() > 45) {
      return badOption(key, "expected an IP address");
    }
    local.address.assign(value);
  } else if (key == "ports") {
    local.ports.clear();
    for (const std::string& item : splitList(value)) {
      size_t slash = item.find('/');
      uint64_t rtp = 0, rtcp = 0;
      if (!parseUint(std::string_view(item).substr(0, slash), rtp, 65535) || rtp == 0 ||
          (slash != std::string::npos &&
           !parseUint(std::string_view(item).substr(slash + 1), rtcp, 65535))) {
        return badOption(key, "expected rtp[/rtcp],...");
      }
      local.ports.push_back(PortPair{static_cast<uint16_t>(rtp), static_cast<uint16_t>(rtcp)});
    }
  } else if (key == "sdes-keys") {
    local.sdes_keys = splitList(value);
  } else if (key == "ufrag") {
    if (!parseIceUfrag(value).ok()) {
      return badOption(key, "not a valid ice-ufrag");
    }
    local.ice_ufrag.assign(value);
  } else if (key == "pwd") {
    if (!parseIcePwd(value).ok()) {
      return badOption(key, "not a valid ice-pwd");
    }
    local.ice_pwd.assign(value);
  } else if (key == "fingerprint") {
    Fingerprint f;
    std::string full = "sha-256 " + std::string(value);
    if (!parseFingerprint(full, f).ok()) {
      return badOption(key, "not a sha-256 fingerprint");
    }
    local.fingerprint.assign(value);
  } else if (key == "session-id") {
    if (!parseUint(value, local.session_id, UINT64_MAX)) {
      return badOption(key, "not a number");
    }
  } else {
    return false;
  }
  return true;
}

// The keys of Profile; false when @p key is not one of them.
Result<bool> applyProfileOption(Profile& profile, std::string_view key, std::string_view value) {
  if (key == "codecs") {
    profile.audio_codecs = splitList(value);
  } else if (key == "transcode") {
    profile.transcode_codecs = splitList(value);
  } else if (key == "video-codecs") {
    profile.video_codecs = splitList(value);
  } else if (key == "ptime") {
    uint64_t v = 0;
    if (!parseUint(value, v, 1000)) {
      return badOption(key, "not 0-1000");
    }
    profile.ptime = static_cast<uint32_t>(v);
  } else if (key == "srtp") {
    if (value == "off") {
      profile.srtp = SrtpMode::Off;
    } else if (value == "sdes") {
      profile.srtp = SrtpMode::Sdes;
    } else if (value == "dual") {
      profile.srtp = SrtpMode::Dual;
    } else {
      return badOption(key, "expected off, sdes or dual");
    }
  } else if (key == "dtls") {
    if (!parseOnOff(value, profile.dtls)) {
      return badOption(key, "expected on or off");
    }
  } else if (key == "sdes-suite") {
    if (Crypto::keySaltBytes(value) == 0) {
      return badOption(key, "unknown crypto suite");
    }
    profile.sdes_suite.assign(value);
  } else if (key == "rtcp-mux") {
    if (!parseOnOff(value, profile.rtcp_mux)) {
      return badOption(key, "expected on or off");
    }
  } else if (key == "allow") {
    profile.allow_attributes = splitList(value);
  } else if (key == "setup") {
    if (value != "active" && value != "passive") {
      return badOption(key, "expected active or passive");
    }
    profile.setup_answer.assign(value);
  } else if (key == "origin-user") {
    if (!detail::isToken(value)) {
      return badOption(key, "not a token");
    }
    profile.origin_user.assign(value);
  } else if (key == "session-name") {
    if (value.empty()) {
      return badOption(key, "empty");
    }
    profile.session_name.assign(value);
  } else {
    return false;
  }
  return true;
}

}  // namespace

// Each key has its own check and message, in the order docs/sdp.md lists them.
Result<bool> applyOption(LegConfig& leg, std::string_view key, std::string_view value) {
  // Copy-on-write: other legs may share the Profile.
  auto copy = std::make_shared<Profile>(leg.profile ? *leg.profile : Profile{});
  Result<bool> applied = applyLocalOption(leg.local, key, value);
  if (!applied.ok()) {
    return applied;
  }
  if (!applied.value()) {
    applied = applyProfileOption(*copy, key, value);
    if (!applied.ok()) {
      return applied;
    }
    if (!applied.value()) {
      return badOption(key, "unknown option");
    }
  }
  leg.profile = std::move(copy);
  return true;
}

}  // namespace rampart::sdp
