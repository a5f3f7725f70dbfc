#include "dtls/datagram_bio.h"

#include <exception>

namespace rampart::cp::dtls {

namespace {

int sinkWrite(BIO* bio, const char* data, int len) {
  auto* sink = static_cast<DatagramSink*>(BIO_get_data(bio));
  if (sink == nullptr || len <= 0) {
    return 0;
  }
  // A C callback: an allocation failure must not unwind through OpenSSL.
  try {
    const auto* p = reinterpret_cast<const uint8_t*>(data);
    sink->bytes.insert(sink->bytes.end(), p, p + len);
    sink->ends.push_back(sink->bytes.size());
  } catch (const std::exception&) {
    return -1;
  }
  return len;
}

long sinkCtrl(BIO* /*bio*/, int cmd, long /*num*/, void* /*ptr*/) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // every write already went out whole
    // Nothing is ever held back, and there is no socket to ask for an MTU or an overhead:
    // the session sets the MTU itself (SSL_set_mtu with SSL_OP_NO_QUERY_MTU).
    default: return 0;
  }
}

int sinkCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* method() {
  static BIO_METHOD* m = [] {
    BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rampart-dtls-out");
    if (bm != nullptr) {
      BIO_meth_set_write(bm, sinkWrite);
      BIO_meth_set_ctrl(bm, sinkCtrl);
      BIO_meth_set_create(bm, sinkCreate);
    }
    return bm;
  }();
  return m;
}

}  // namespace

BIO* newDatagramBio(DatagramSink* sink) {
  const BIO_METHOD* m = method();
  BIO* bio = m != nullptr ? BIO_new(m) : nullptr;
  if (bio != nullptr) {
    BIO_set_data(bio, sink);
  }
  return bio;
}

}  // namespace rampart::cp::dtls
