#include <rampart/platform/abi.h>

#include <cstdio>
#include <cstring>

namespace rampart::abi {

Hello makeHello(uint32_t seq, uint32_t cp_pid, uint64_t epoch_seen) {
  Hello h{};
  h.hdr.type = MsgType::Hello;
  h.hdr.size = sizeof(Hello);
  h.hdr.seq = seq;
  h.abi_major = kAbiMajor;
  h.abi_minor = kAbiMinor;
  h.cp_pid = cp_pid;
  h.dp_epoch_seen = epoch_seen;
  for (uint16_t t = 1; t < static_cast<uint16_t>(MsgType::Count); ++t) {
    h.msg_size[t] = minSize(static_cast<MsgType>(t));
  }
  return h;
}

int32_t checkHello(const Hello& hello, std::size_t received_bytes, char* reason,
                   std::size_t reason_len) {
  // The fields up to abi_minor are frozen forever, so they are safe to read from any version.
  if (received_bytes < offsetof(Hello, cp_pid) || hello.hdr.type != MsgType::Hello) {
    std::snprintf(reason, reason_len, "first message is not a Hello");
    return kErrProto;
  }
  if (hello.abi_major != kAbiMajor) {
    std::snprintf(reason, reason_len,
                  "incompatible ABI: peer speaks %u.%u, this side %u.%u (major versions differ)",
                  hello.abi_major, hello.abi_minor, kAbiMajor, kAbiMinor);
    return kErrProto;
  }
  if (received_bytes < sizeof(Hello) || hello.hdr.size < sizeof(Hello)) {
    std::snprintf(reason, reason_len, "Hello is %u bytes, at least %zu expected", hello.hdr.size,
                  sizeof(Hello));
    return kErrMsgSize;
  }
  for (uint16_t t = 1; t < static_cast<uint16_t>(MsgType::Count); ++t) {
    auto type = static_cast<MsgType>(t);
    // A newer peer may send larger messages (appended fields); smaller means it lacks fields
    // this side needs.
    if (hello.msg_size[t] < minSize(type)) {
      std::snprintf(reason, reason_len, "peer's %s is %u bytes, this side needs at least %u",
                    msgTypeName(type), hello.msg_size[t], minSize(type));
      return kErrMsgSize;
    }
  }
  if (reason_len > 0) {
    reason[0] = '\0';
  }
  return kOk;
}

int32_t checkHeader(const MsgHeader& hdr, std::size_t slot_size) {
  auto raw = static_cast<uint16_t>(hdr.type);
  if (raw == 0 || raw >= static_cast<uint16_t>(MsgType::Count)) {
    return kErrNotSup;
  }
  if (minSize(hdr.type) == 0) {
    return kErrNotSup;  // a reserved number with no message in this build
  }
  if (hdr.size < minSize(hdr.type) || hdr.size > slot_size) {
    return kErrMsgSize;
  }
  return kOk;
}

const char* msgTypeName(MsgType t) {
  switch (t) {
    case MsgType::Hello: return "Hello";
    case MsgType::HelloAck: return "HelloAck";
    case MsgType::FlowAdd: return "FlowAdd";
    case MsgType::FlowModify: return "FlowModify";
    case MsgType::FlowDel: return "FlowDel";
    case MsgType::FlowQuery: return "FlowQuery";
    case MsgType::Ack: return "Ack";
    case MsgType::FlowInfo: return "FlowInfo";
    case MsgType::FlowDump: return "FlowDump";
    case MsgType::FlowDumpEnd: return "FlowDumpEnd";
    case MsgType::FlowIdle: return "FlowIdle";
    case MsgType::SsrcChange: return "SsrcChange";
    case MsgType::FlowIce: return "FlowIce";
    case MsgType::IceSelected: return "IceSelected";
    case MsgType::ConsentExpired: return "ConsentExpired";
    case MsgType::BanAdd: return "BanAdd";
    case MsgType::BanDel: return "BanDel";
    case MsgType::BanClear: return "BanClear";
    case MsgType::XcodeSetup: return "XcodeSetup";
    case MsgType::DtmfReport: return "DtmfReport";
    case MsgType::DtmfEvent: return "DtmfEvent";
    case MsgType::DtmfInject: return "DtmfInject";
    case MsgType::XcodeRestart: return "XcodeRestart";
    case MsgType::Count: break;
  }
  return "unknown";
}

}  // namespace rampart::abi
