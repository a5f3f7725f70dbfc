// Feeds arbitrary bytes, as a command-ring slot, to the contract-level decoding every
// dataplane worker runs first: header validation and the Hello handshake check.
#include <cstdint>
#include <cstring>

#include <rampart/platform/abi.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::abi;
  uint8_t slot[kCmdSlotSize] = {};
  std::size_t n = size < sizeof(slot) ? size : sizeof(slot);
  std::memcpy(slot, data, n);
  MsgHeader hdr;
  std::memcpy(&hdr, slot, sizeof(hdr));
  if (checkHeader(hdr, n) == kOk && hdr.type == MsgType::Hello) {
    Hello hello;
    std::memcpy(&hello, slot, sizeof(hello));
    char reason[96];
    int32_t status = checkHello(hello, n, reason, sizeof(reason));
    if (status != kOk && std::strlen(reason) >= sizeof(reason)) {
      __builtin_trap();  // the reason must always be NUL-terminated within its buffer
    }
  }
  (void)msgTypeName(hdr.type);
  return 0;
}
