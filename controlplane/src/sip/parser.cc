// Message::parse and parseUri: the only place that touches sofia-sip. sofia parses into its own
// msg_t; we copy what the stack needs into the plain model and free the msg_t before returning.
#include "sip/message.h"

#include <cctype>
#include <cstring>
#include <memory>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/url.h>

namespace rampart::cp::sip {
namespace {

struct MsgDeleter {
  void operator()(msg_t* m) const { msg_destroy(m); }
};
using MsgPtr = std::unique_ptr<msg_t, MsgDeleter>;

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

Error malformed(std::string reason) { return Error{ErrorCode::Malformed, std::move(reason)}; }

std::string joinParams(msg_param_t const* params, std::string_view skip = {}) {
  std::string out;
  for (auto p = params; p && *p; ++p) {
    std::string_view v(*p);
    if (!skip.empty() && v.size() >= skip.size() && iequals(v.substr(0, skip.size()), skip) &&
        (v.size() == skip.size() || v[skip.size()] == '=')) {
      continue;
    }
    out += ';';
    out += v;
  }
  return out;
}

bool toPort(const char* text, uint16_t* out) {
  *out = 0;
  if (!text || !*text) {
    return true;
  }
  unsigned long v = 0;
  for (const char* c = text; *c; ++c) {
    if (*c < '0' || *c > '9') {
      return false;
    }
    v = v * 10 + static_cast<unsigned long>(*c - '0');
    if (v > 65535) {
      return false;
    }
  }
  *out = static_cast<uint16_t>(v);
  return true;
}

Result<Uri> fromUrl(const url_t* url, const char* what, bool any_scheme = false) {
  if (!url) {
    return malformed(std::string("Missing URI in ") + what);
  }
  Uri u;
  if (url->url_type == url_any) {
    u.scheme = "*";
    return u;
  }
  u.scheme = str(url->url_scheme);
  if (url->url_type != url_sip && url->url_type != url_sips && url->url_type != url_tel) {
    // RFC 3986 scheme syntax: a well-formed scheme we do not serve gets 416 from the caller
    // (RFC 3261 8.2.2.1); anything else ("<sip", ...) is malformed.
    bool scheme_ok = !u.scheme.empty() && std::isalpha(static_cast<unsigned char>(u.scheme[0]));
    for (char c : u.scheme) {
      scheme_ok = scheme_ok &&
                  (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.');
    }
    if (any_scheme && scheme_ok) {
      return u;
    }
    return malformed(std::string("Unsupported URI scheme in ") + what);
  }
  u.user = str(url->url_user);
  if (url->url_password) {
    u.user += ':';
    u.user += url->url_password;
  }
  u.host = str(url->url_host);
  if (url->url_type != url_tel && u.host.empty()) {
    return malformed(std::string("Missing host in ") + what);
  }
  if (!toPort(url->url_port, &u.port)) {
    return malformed(std::string("Bad port in ") + what);
  }
  if (url->url_params) {
    u.params = std::string(";") + url->url_params;
  }
  if (url->url_headers) {
    u.headers = std::string("?") + url->url_headers;
  }
  return u;
}

Result<NameAddr> fromAddr(const sip_addr_t* a, const char* what) {
  auto uri = fromUrl(a->a_url, what);
  if (!uri) {
    return uri.error();
  }
  NameAddr na;
  na.display = str(a->a_display);
  na.uri = std::move(*uri);
  na.tag = str(a->a_tag);
  na.params = joinParams(a->a_params, "tag");
  return na;
}

Result<Via> fromVia(const sip_via_t* v) {
  Via via;
  std::string_view proto(v->v_protocol ? v->v_protocol : "");
  auto slash = proto.rfind('/');
  if (slash == std::string_view::npos || slash + 1 >= proto.size()) {
    return malformed("Malformed Via header");
  }
  for (char c : proto.substr(slash + 1)) {
    via.transport += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  }
  via.host = str(v->v_host);
  if (via.host.empty() || !toPort(v->v_port, &via.port)) {
    return malformed("Malformed Via header");
  }
  via.branch = str(v->v_branch);
  via.received = str(v->v_received);
  via.rport = v->v_rport != nullptr;
  via.params = joinParams(v->v_params);
  return via;
}

// "Name: value\r\n" (possibly folded) -> value without leading/trailing white space.
std::string_view rawValue(const msg_header_t* h, std::string* name_out) {
  std::string_view raw(static_cast<const char*>(h->sh_data), h->sh_len);
  auto colon = raw.find(':');
  if (colon == std::string_view::npos) {
    return {};
  }
  std::string_view name = raw.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
    name.remove_suffix(1);
  }
  *name_out = std::string(name);
  std::string_view value = raw.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ' ||
                            value.back() == '\t')) {
    value.remove_suffix(1);
  }
  return value;
}

// Headers the model carries in its own fields (serialize() writes them from there).
bool modelled(std::string_view name) {
  static constexpr std::string_view kModelled[] = {
      "Via",   "Max-Forwards", "From",    "To",      "Call-ID",   "CSeq",         "Contact",
      "Route", "Record-Route", "Expires", "Require", "Supported", "Content-Type", "Content-Length"};
  for (auto m : kModelled) {
    if (iequals(m, name)) {
      return true;
    }
  }
  return false;
}

void collectHeaders(msg_t* msg, Message& out) {
  for (msg_header_t* h = *msg_chain_head(msg); h; h = h->sh_succ) {
    int hash = h->sh_class->hc_hash;
    if (h->sh_len == 0 || hash == msg_request_hash || hash == msg_status_hash ||
        hash == msg_separator_hash || hash == msg_payload_hash) {
      continue;  // zero length: a further value of a comma-separated line already taken
    }
    std::string raw_name;
    std::string_view value = rawValue(h, &raw_name);
    const char* canonical = h->sh_class->hc_name;
    std::string name = (canonical && *canonical) ? std::string(canonical) : raw_name;
    if (modelled(name)) {
      continue;
    }
    out.headers.push_back({std::move(name), std::string(value)});
  }
}

std::vector<std::string> tokens(const msg_list_t* list) {
  std::vector<std::string> out;
  for (; list; list = list->k_next) {
    for (auto item = list->k_items; item && *item; ++item) {
      out.emplace_back(*item);
    }
  }
  return out;
}

Result<void> fillRoutes(const sip_route_t* r, std::vector<std::string>& out, const char* what) {
  for (; r; r = r->r_next) {
    auto uri = fromUrl(r->r_url, what);
    if (!uri) {
      return uri.error();
    }
    out.push_back("<" + uri->str() + ">" + joinParams(r->r_params));
  }
  return {};
}

Result<void> fillMandatory(const sip_t* sip, Message& m) {
  if (!sip->sip_via) {
    return malformed("Missing Via header");
  }
  for (const sip_via_t* v = sip->sip_via; v; v = v->v_next) {
    auto via = fromVia(v);
    if (!via) {
      return via.error();
    }
    m.vias.push_back(std::move(*via));
  }
  if (!sip->sip_from) {
    return malformed("Missing From header");
  }
  if (!sip->sip_to) {
    return malformed("Missing To header");
  }
  if (!sip->sip_call_id || !sip->sip_call_id->i_id || !*sip->sip_call_id->i_id) {
    return malformed("Missing Call-ID header");
  }
  if (!sip->sip_cseq) {
    return malformed("Missing CSeq header");
  }
  auto from = fromAddr(sip->sip_from, "From header");
  if (!from) {
    return from.error();
  }
  auto to = fromAddr(sip->sip_to, "To header");
  if (!to) {
    return to.error();
  }
  m.from = std::move(*from);
  m.to = std::move(*to);
  m.call_id = sip->sip_call_id->i_id;
  m.cseq = sip->sip_cseq->cs_seq;
  m.cseq_method = str(sip->sip_cseq->cs_method_name);
  if (m.cseq_method.empty() || m.cseq > 0x7fffffffu) {
    return malformed("Malformed CSeq header");
  }
  return {};
}

Result<void> fillOptional(const sip_t* sip, Message& m) {
  if (sip->sip_max_forwards) {
    if (sip->sip_max_forwards->mf_count > 255) {
      return malformed("Malformed Max-Forwards header");
    }
    m.max_forwards = static_cast<uint32_t>(sip->sip_max_forwards->mf_count);
  }
  for (const sip_contact_t* c = sip->sip_contact; c; c = c->m_next) {
    if (c->m_url->url_type == url_any) {
      m.contact_star = true;
      continue;
    }
    auto na = fromAddr(reinterpret_cast<const sip_addr_t*>(c), "Contact header");
    if (!na) {
      return na.error();
    }
    na->display = str(c->m_display);
    na->tag.clear();
    na->params = joinParams(c->m_params);
    m.contacts.push_back(std::move(*na));
  }
  auto rr = fillRoutes(sip->sip_record_route, m.record_route, "Record-Route header");
  if (!rr) {
    return rr;
  }
  auto rt = fillRoutes(sip->sip_route, m.route, "Route header");
  if (!rt) {
    return rt;
  }
  if (sip->sip_expires) {
    m.expires = static_cast<uint32_t>(sip->sip_expires->ex_delta);
  }
  m.require = tokens(reinterpret_cast<const msg_list_t*>(sip->sip_require));
  m.supported = tokens(reinterpret_cast<const msg_list_t*>(sip->sip_supported));
  if (sip->sip_content_type && sip->sip_content_type->c_type) {
    m.content_type = sip->sip_content_type->c_type;
  }
  if (sip->sip_payload && sip->sip_payload->pl_data) {
    m.body.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  }
  return {};
}

}  // namespace

Result<Message> Message::parse(std::string_view bytes, Message* partial) {
  if (bytes.empty()) {
    return malformed("Empty message");
  }
  MsgPtr msg(msg_create(sip_default_mclass(), MSG_FLG_EXTRACT_COPY));
  if (!msg) {
    return Error{ErrorCode::Internal, "cannot allocate a message"};
  }
  void* buf = msg_buf_alloc(msg.get(), bytes.size() + 1);
  if (!buf) {
    return Error{ErrorCode::Internal, "cannot allocate a message buffer"};
  }
  std::memcpy(buf, bytes.data(), bytes.size());
  msg_buf_commit(msg.get(), bytes.size(), 1);
  if (msg_extract(msg.get()) <= 0) {
    return malformed("Malformed message");
  }
  const sip_t* sip = sip_object(msg.get());
  if (!sip) {
    return malformed("Malformed message");
  }
  Message m;
  // The mandatory headers first: with them a 400 can still be sent for any later problem.
  auto mandatory = fillMandatory(sip, m);
  if (mandatory && partial) {
    *partial = m;
    partial->request = sip->sip_request != nullptr;
    partial->method = sip->sip_request ? str(sip->sip_request->rq_method_name) : "";
  }
  if (sip->sip_error) {
    // The error list can hold headers of other classes (a second CSeq or Call-ID is linked
    // there): only a msg_error_t has er_name (reading it from a CSeq crashed, found by
    // cp_ws_frame_fuzz); for the others the class names the header.
    const auto* bad = reinterpret_cast<const msg_header_t*>(sip->sip_error);
    const char* name = bad->sh_class == msg_error_class ? sip->sip_error->er_name
                       : bad->sh_class                  ? bad->sh_class->hc_name
                                                        : nullptr;
    return malformed(std::string("Malformed ") + (name && *name ? name : "header") + " header");
  }
  if (!mandatory) {
    return mandatory.error();
  }
  if (sip->sip_request) {
    m.request = true;
    m.method = str(sip->sip_request->rq_method_name);
    auto uri = fromUrl(sip->sip_request->rq_url, "Request-URI", /*any_scheme=*/true);
    if (!uri) {
      return uri.error();
    }
    m.request_uri = std::move(*uri);
    if (!sip->sip_request->rq_version || std::strcmp(sip->sip_request->rq_version, "SIP/2.0")) {
      return Error{ErrorCode::Unsupported, "Version Not Supported"};
    }
  } else if (sip->sip_status) {
    m.request = false;
    m.status = sip->sip_status->st_status;
    m.reason = str(sip->sip_status->st_phrase);
    if (m.status < 100 || m.status > 699) {
      return malformed("Malformed status line");
    }
  } else {
    return malformed("Malformed start line");
  }
  auto optional = fillOptional(sip, m);
  if (!optional) {
    return optional.error();
  }
  if (m.request && m.method != m.cseq_method && !(m.method == "ACK" && m.cseq_method == "INVITE") &&
      !(m.method == "CANCEL" && m.cseq_method == "INVITE")) {
    return malformed("CSeq method does not match the request");
  }
  collectHeaders(msg.get(), m);
  return m;
}

Result<Uri> parseUri(std::string_view text) {
  if (text.empty() || text.size() > 2048) {
    return malformed("Malformed URI");
  }
  su_home_t home[1] = {SU_HOME_INIT(home)};
  std::string copy(text);
  url_t* url = url_make(home, copy.c_str());
  Result<Uri> out = url ? fromUrl(url, "URI") : Result<Uri>(malformed("Malformed URI"));
  su_home_deinit(home);
  return out;
}

}  // namespace rampart::cp::sip
