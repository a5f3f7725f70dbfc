#!/usr/bin/python3
"""A small scripted SIP user agent over secure WebSocket (RFC 7118), shaped like a browser's:
Via `SIP/2.0/WSS <random>.invalid`, Contact `<sip:USER@<random>.invalid;transport=ws>` with a
+sip.instance, one SIP message per WebSocket message, subprotocol `sip`, the JWT in `?token=`.
Used by wss_test.sh against the real rampart-controlplane.

Subcommands (each prints JSON; `ua` prints one event per line as things happen, then the report):

  ua      --url URL --token T --user U [--password P] [--domain D] [--origin O]
          [--register] [--call CALLEE [--srtp] [--media ADDR:PORT] [--key B64]
                        [--offer-file SDP] [--answer-out PATH]
                        [--hold S | --hold-file PATH] [--from-user U2]]
          [--answer [--answer-timeout S]] [--linger S | --until-file PATH] [--unregister]
          Actions run in that order: REGISTER (a 401/407 challenge answered with MD5 digest,
          RFC 2617 qop=auth), INVITE with an SDP offer (RTP/AVP, or RTP/SAVP with an a=crypto
          AES_CM_128_HMAC_SHA1_80 key it generates or --key), ACK, hold, BYE; then waits for an
          incoming INVITE and answers it (180, 200 + SDP, ACK, BYE answered 200); then keeps the
          connection open. Events: {"event":"registered"|"answered"|"incoming"|...}. The report:
          {"event":"report","register":[statuses],"invite":[statuses],"bye":status,
           "answer_sdp":{"address","port","proto","crypto_key","crypto_suite"},"offer_key",...}
  probe   --url URL [--token T] [--origin O] [--no-subprotocol] [--options | --oversize N |
          --raw TEXT] [--wait S]
          One connection: {"http_status":101|4xx, "response":"SIP/2.0 ...", "close_code":N}
  tls     --host H --port P --max-version TLSv1|TLSv1_1|TLSv1_2|TLSv1_3
          {"handshake":"ok"|"refused","version":...,"error":...}
  token   --key FILE --kind good|expired|nbf|forged|aud|none|iss [--sub U]
          prints a token (python3-jwt; the key file's text stripped, used as bytes)
"""
import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import re
import socket
import ssl
import string
import sys
import time
import uuid

# Debian's python3-websockets (10.x) and python3-jwt.
import websockets


def rnd(n=10):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def emit(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


# --- SIP text -------------------------------------------------------------------------------
COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
           "c": "content-type", "k": "supported", "s": "subject", "e": "content-encoding"}


class Msg:
    def __init__(self, text):
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.headers = []  # (lower name, value) in order
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                n, v = self.headers[-1]
                self.headers[-1] = (n, v + " " + line.strip())
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            self.headers.append((COMPACT.get(name, name), value.strip()))
        self.body = body
        self.is_response = self.first.startswith("SIP/2.0 ")
        if self.is_response:
            parts = self.first.split(" ", 2)
            self.status = int(parts[1])
            self.reason = parts[2] if len(parts) > 2 else ""
            self.method = None
        else:
            self.method = self.first.split(" ", 1)[0]
            self.ruri = self.first.split(" ")[1]
            self.status = None

    def all(self, name):
        name = name.lower()
        out = []
        for n, v in self.headers:
            if n == name:
                out.append(v)
        return out

    def get(self, name, default=""):
        v = self.all(name)
        return v[0] if v else default

    def cseq(self):
        num, _, method = self.get("cseq").partition(" ")
        return int(num), method.strip()

    def branch(self):
        m = re.search(r";\s*branch=([^;,\s]+)", self.get("via"))
        return m.group(1) if m else ""

    def tag(self, header):
        m = re.search(r";\s*tag=([^;,\s>]+)", self.get(header))
        return m.group(1) if m else ""


def uri_of(nameaddr):
    m = re.search(r"<([^>]*)>", nameaddr)
    return m.group(1) if m else nameaddr.split(";")[0].strip()


def build(first, headers, body=""):
    lines = [first]
    for n, v in headers:
        lines.append(f"{n}: {v}")
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def parse_challenge(value):
    scheme, _, rest = value.partition(" ")
    params = {}
    for m in re.finditer(r'(\w+)\s*=\s*("([^"]*)"|[^,\s]+)', rest):
        params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return scheme, params


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def digest(method, uri, user, password, challenge, nc=1):
    """RFC 2617 MD5 digest (qop=auth when offered, else RFC 2069 form)."""
    _, p = parse_challenge(challenge)
    realm, nonce = p.get("realm", ""), p.get("nonce", "")
    ha1 = md5(f"{user}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    parts = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    qops = [q.strip() for q in p.get("qop", "").split(",") if q.strip()]
    if "auth" in qops:
        cnonce = rnd(16)
        ncs = f"{nc:08x}"
        resp = md5(f"{ha1}:{nonce}:{ncs}:{cnonce}:auth:{ha2}")
        parts += [f'response="{resp}"', "algorithm=MD5", "qop=auth", f"nc={ncs}", f'cnonce="{cnonce}"']
    else:
        parts += [f'response="{md5(f"{ha1}:{nonce}:{ha2}")}"', "algorithm=MD5"]
    if "opaque" in p:
        parts.append(f'opaque="{p["opaque"]}"')
    return "Digest " + ", ".join(parts)


def make_sdp(addr, port, srtp, key, direction="sendrecv", crypto_tag=1, suite="AES_CM_128_HMAC_SHA1_80"):
    sess = random.randint(1, 2**31)
    proto = "RTP/SAVP" if srtp else "RTP/AVP"
    lines = ["v=0", f"o=- {sess} 1 IN IP4 {addr}", "s=-", f"c=IN IP4 {addr}", "t=0 0",
             f"m=audio {port} {proto} 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
             "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20"]
    if srtp:
        lines.append(f"a=crypto:{crypto_tag} {suite} inline:{key}")
    lines.append(f"a={direction}")
    return "\r\n".join(lines) + "\r\n"


def parse_sdp(text):
    out = {"address": None, "port": None, "proto": None, "crypto_key": None, "crypto_suite": None,
           "crypto_tag": None, "payload_types": [], "direction": "sendrecv", "rtcp_mux": False}
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("c=IN IP4 "):
            out["address"] = line.split()[2]
        elif line.startswith("m=audio "):
            f = line.split()
            out["port"] = int(f[1])
            out["proto"] = f[2]
            out["payload_types"] = f[3:]
        elif line.startswith("a=crypto:") and out["crypto_key"] is None:
            m = re.match(r"a=crypto:(\d+)\s+(\S+)\s+inline:([^|\s]+)", line)
            if m:
                out["crypto_tag"], out["crypto_suite"], out["crypto_key"] = int(m.group(1)), m.group(2), m.group(3)
        elif line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            out["direction"] = line[2:]
        elif line == "a=rtcp-mux":
            out["rtcp_mux"] = True
    return out


def new_key():
    return base64.b64encode(os.urandom(30)).decode()


# --- the user agent ---------------------------------------------------------------------------
class UA:
    def __init__(self, ws, args):
        self.ws = ws
        self.a = args
        self.host = rnd(12) + ".invalid"
        self.instance = str(uuid.uuid4())
        self.pending = {}          # branch -> asyncio.Queue of responses
        self.requests = asyncio.Queue()
        self.report = {"event": "report", "register": [], "invite": [], "bye": None,
                       "incoming": None, "errors": [], "unregister": []}
        self.closed = None
        self.reader = asyncio.ensure_future(self.read_loop())
        self.dialog_bye = {}       # call-id -> future set when the far end's BYE arrives

    def via(self, branch):
        return f"SIP/2.0/WSS {self.host};branch={branch}"

    def contact(self, user):
        # No +sip.ice (RFC 5768): this client speaks RTP/SDES, not ICE and DTLS, so Rampart must
        # offer it trunk-style media (a browser's +sip.ice gets a WebRTC offer).
        return (f'<sip:{user}@{self.host};transport=ws>;'
                f'+sip.instance="<urn:uuid:{self.instance}>";reg-id=1')

    async def read_loop(self):
        try:
            async for raw in self.ws:
                text = raw if isinstance(raw, str) else raw.decode(errors="replace")
                self.trace("received", text)
                m = Msg(text)
                if m.is_response:
                    q = self.pending.get(m.branch())
                    if q:
                        q.put_nowait(m)
                else:
                    await self.on_request(m)
        except websockets.exceptions.ConnectionClosed as e:
            self.closed = e.rcvd.code if e.rcvd else None
        except Exception as e:  # pragma: no cover - reported
            self.report["errors"].append(f"reader: {e!r}")
        finally:
            if self.closed is None:
                self.closed = getattr(self.ws, "close_code", None) or -1
            for q in self.pending.values():
                q.put_nowait(None)
            self.requests.put_nowait(None)

    def trace(self, direction, text):
        if self.a.trace:
            with open(self.a.trace, "a") as f:
                f.write(f"--- {direction} {time.strftime('%H:%M:%S')}.{int(time.time() * 1000) % 1000:03d}\n"
                        f"{text.replace(chr(13), '')}\n")

    async def send(self, text):
        self.trace("sent", text)
        await self.ws.send(text)

    def respond_text(self, req, status, reason, to_tag=None, extra=(), body=""):
        hs = [("Via", v) for v in req.all("via")]
        hs += [("Record-Route", v) for v in req.all("record-route")]
        to = req.get("to")
        if to_tag and ";tag=" not in to:
            to += f";tag={to_tag}"
        hs += [("From", req.get("from")), ("To", to), ("Call-ID", req.get("call-id")),
               ("CSeq", req.get("cseq"))]
        hs += list(extra)
        return build(f"SIP/2.0 {status} {reason}", hs, body)

    async def on_request(self, m):
        cid = m.get("call-id")
        if m.method == "BYE":
            await self.send(self.respond_text(m, 200, "OK"))
            fut = self.dialog_bye.get(cid)
            if fut and not fut.done():
                fut.set_result(True)
            emit({"event": "bye_received", "call_id": cid})
        elif m.method == "OPTIONS":
            await self.send(self.respond_text(m, 200, "OK", to_tag=rnd(8)))
        elif m.method == "ACK":
            await self.requests.put(m)
        elif m.method == "INVITE" and m.tag("to"):
            # A re-INVITE: answer with the same SDP we gave.
            await self.send(self.respond_text(m, 200, "OK", extra=[("Contact", self.contact(self.a.user))],
                                              body=getattr(self, "last_answer", "")))
        elif m.method == "CANCEL":
            await self.send(self.respond_text(m, 200, "OK"))
            await self.requests.put(m)
        else:
            await self.requests.put(m)

    async def transaction(self, text, branch, timeout=10.0):
        """Sends a request; returns every response until the final one (or None at timeout)."""
        q = asyncio.Queue()
        self.pending[branch] = q
        out = []
        await self.send(text)
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.report["errors"].append(f"timeout waiting for a response to {text.split(' ', 1)[0]}")
                    return out
                try:
                    r = await asyncio.wait_for(q.get(), left)
                except asyncio.TimeoutError:
                    continue
                if r is None:
                    self.report["errors"].append(f"connection closed during {text.split(' ', 1)[0]}")
                    return out
                out.append(r)
                if r.status >= 200:
                    return out
        finally:
            self.pending.pop(branch, None)

    # REGISTER with digest
    async def register(self, expires=600, key="register"):
        a = self.a
        ruri = f"sip:{a.domain}"
        call_id = rnd(20)
        ftag = rnd(8)
        auth = None
        statuses = self.report[key]
        for cseq in range(1, 4):
            branch = "z9hG4bK" + rnd(16)
            hs = [("Via", self.via(branch)), ("Max-Forwards", "70"),
                  ("To", f"<sip:{a.user}@{a.domain}>"), ("From", f"<sip:{a.user}@{a.domain}>;tag={ftag}"),
                  ("Call-ID", call_id), ("CSeq", f"{cseq} REGISTER"),
                  ("Contact", self.contact(a.user)), ("Expires", str(expires)),
                  ("Allow", "INVITE,ACK,CANCEL,BYE,OPTIONS"), ("Supported", "path,gruu,outbound"),
                  ("User-Agent", "rampart-wss-test")]
            if auth:
                hs.append(auth)
            rs = await self.transaction(build(f"REGISTER {ruri} SIP/2.0", hs), branch)
            if not rs:
                statuses.append(None)
                return None
            final = rs[-1]
            statuses.append(final.status)
            self.report[key + "_reason"] = final.reason
            if final.status in (401, 407) and a.password and cseq < 3 and not auth:
                hname = "www-authenticate" if final.status == 401 else "proxy-authenticate"
                aname = "Authorization" if final.status == 401 else "Proxy-Authorization"
                auth = (aname, digest("REGISTER", ruri, a.user, a.password, final.get(hname)))
                continue
            if final.status < 300:
                emit({"event": "unregistered" if expires == 0 else "registered", "status": final.status,
                      "contact": final.all("contact")})
            else:
                emit({"event": "register_failed", "status": final.status, "reason": final.reason})
            return final.status
        return statuses[-1] if statuses else None

    # outgoing call
    async def call(self):
        a = self.a
        from_user = a.from_user or a.user
        callee_uri = f"sip:{a.call}@{a.domain}"
        maddr, _, mport = a.media.rpartition(":")
        key = a.key or new_key()
        self.report["offer_key"] = key if a.srtp else None
        offer = make_sdp(maddr, int(mport), a.srtp, key)
        if a.offer_file:  # a browser-style offer (rampart-webrtc-peer sdp), sent as is
            with open(a.offer_file) as f:
                offer = f.read().replace("\r\n", "\n").replace("\n", "\r\n")
        call_id = rnd(20)
        ftag = rnd(8)
        branch = "z9hG4bK" + rnd(16)
        base = [("Max-Forwards", "70"), ("To", f"<{callee_uri}>"),
                ("From", f"<sip:{from_user}@{a.domain}>;tag={ftag}"), ("Call-ID", call_id)]
        hs = [("Via", self.via(branch))] + base + [
            ("CSeq", "1 INVITE"), ("Contact", f"<sip:{from_user}@{self.host};transport=ws;ob>"),
            ("Allow", "INVITE,ACK,CANCEL,BYE,OPTIONS"), ("User-Agent", "rampart-wss-test")]
        self.report["invite_unix_ms"] = int(time.time() * 1000)
        emit({"event": "inviting", "callee": a.call, "offer_key": self.report["offer_key"],
              "unix_ms": self.report["invite_unix_ms"]})
        rs = await self.transaction(build(f"INVITE {callee_uri} SIP/2.0", hs, offer), branch,
                                    timeout=a.invite_timeout)
        self.report["invite"] = [r.status for r in rs]
        if not rs:
            return
        final = rs[-1]
        self.report["invite_reason"] = final.reason
        if final.status >= 300:
            # ACK of a non-2xx: same branch (RFC 3261 17.1.1.3).
            ack = build(f"INVITE {callee_uri} SIP/2.0".replace("INVITE", "ACK", 1),
                        [("Via", self.via(branch)), base[0], ("To", final.get("to")), base[2], base[3],
                         ("CSeq", "1 ACK")])
            await self.send(ack)
            emit({"event": "call_failed", "status": final.status, "reason": final.reason})
            return
        ans = parse_sdp(final.body)
        self.report["answer_sdp"] = ans
        if a.answer_out:  # the answer as received, for rampart-webrtc-peer (renamed into place)
            with open(a.answer_out + ".tmp", "w") as f:
                f.write(final.body)
            os.rename(a.answer_out + ".tmp", a.answer_out)
        target = uri_of(final.get("contact")) or callee_uri
        routes = list(reversed(final.all("record-route")))
        to = final.get("to")
        dialog = [base[0], ("To", to), base[2], base[3]] + [("Route", r) for r in routes]
        await self.send(build(f"ACK {target} SIP/2.0",
                              [("Via", self.via("z9hG4bK" + rnd(16)))] + dialog + [("CSeq", "1 ACK")]))
        bye_fut = asyncio.get_event_loop().create_future()
        self.dialog_bye[call_id] = bye_fut
        emit({"event": "answered", "status": final.status, "answer": ans, "offer_key": self.report["offer_key"]})
        # hold
        deadline = time.monotonic() + (a.hold if a.hold is not None else a.max_hold)
        while time.monotonic() < deadline and not bye_fut.done() and self.closed is None:
            if a.hold_file and os.path.exists(a.hold_file):
                break
            await asyncio.sleep(0.05)
        if bye_fut.done():
            self.report["bye"] = "received"
            return
        if a.drop:  # the tab closes: no BYE, the WebSocket just goes
            self.report["bye"] = "dropped"
            emit({"event": "dropping"})
            await self.ws.close()
            return
        b2 = "z9hG4bK" + rnd(16)
        rs = await self.transaction(build(f"BYE {target} SIP/2.0",
                                          [("Via", self.via(b2))] + dialog + [("CSeq", "2 BYE")]), b2)
        self.report["bye"] = rs[-1].status if rs else None
        emit({"event": "bye_done", "status": self.report["bye"]})

    # incoming call
    async def answer(self):
        a = self.a
        deadline = time.monotonic() + a.answer_timeout
        inv = None
        while time.monotonic() < deadline:
            try:
                m = await asyncio.wait_for(self.requests.get(), max(0.05, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                break
            if m is None:
                break
            if m.method == "INVITE":
                inv = m
                break
        if inv is None:
            self.report["incoming"] = {"error": "no INVITE"}
            return
        offer = parse_sdp(inv.body)
        tag = rnd(8)
        maddr, _, mport = a.media.rpartition(":")
        key = a.key or new_key()
        srtp = offer["proto"] == "RTP/SAVP"
        answer = make_sdp(maddr, int(mport), srtp, key, crypto_tag=offer["crypto_tag"] or 1,
                          suite=offer["crypto_suite"] or "AES_CM_128_HMAC_SHA1_80")
        self.last_answer = answer
        inc = {"ruri": inv.ruri, "from": inv.get("from"), "to": inv.get("to"), "offer": offer,
               "answer_key": key if srtp else None, "via": inv.get("via")}
        self.report["incoming"] = inc
        emit({"event": "incoming", **inc})
        await self.send(self.respond_text(inv, 180, "Ringing", to_tag=tag,
                                          extra=[("Contact", f"<sip:{a.user}@{self.host};transport=ws>")]))
        await asyncio.sleep(a.ring)
        await self.send(self.respond_text(inv, 200, "OK", to_tag=tag,
                                          extra=[("Contact", f"<sip:{a.user}@{self.host};transport=ws>"),
                                                 ("Allow", "INVITE,ACK,CANCEL,BYE,OPTIONS")],
                                          body=answer))
        cid = inv.get("call-id")
        bye_fut = asyncio.get_event_loop().create_future()
        self.dialog_bye[cid] = bye_fut
        acked = False
        t_end = time.monotonic() + 10
        while time.monotonic() < t_end:
            try:
                m = await asyncio.wait_for(self.requests.get(), 0.5)
            except asyncio.TimeoutError:
                continue
            if m is None:
                break
            if m.method == "ACK" and m.get("call-id") == cid:
                acked = True
                break
        inc["acked"] = acked
        emit({"event": "answered_incoming", "acked": acked})
        try:
            await asyncio.wait_for(asyncio.shield(bye_fut), a.answer_timeout)
            inc["bye_received"] = True
        except asyncio.TimeoutError:
            inc["bye_received"] = False

    async def run(self):
        a = self.a
        if a.delay:
            await asyncio.sleep(a.delay)
        if a.register:
            await self.register()
        if a.call:
            await self.call()
        if a.answer:
            await self.answer()
        if a.linger or a.until_file:
            deadline = time.monotonic() + (a.linger or a.max_hold)
            while time.monotonic() < deadline and self.closed is None:
                if a.until_file and os.path.exists(a.until_file):
                    break
                await asyncio.sleep(0.05)
        if a.unregister and self.closed is None:
            await self.register(expires=0, key="unregister")
        self.report["closed_by_server"] = self.closed


def client_ssl():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the lab's self-signed certificate
    return ctx


def url_with_token(url, token):
    if token is None:
        return url
    return url + ("&" if "?" in url else "?") + "token=" + token


async def connect(args, subprotocols=("sip",)):
    kw = dict(ssl=client_ssl(), subprotocols=list(subprotocols) if subprotocols else None,
              open_timeout=5, close_timeout=2, ping_interval=None, max_size=2**20)
    if args.origin:
        kw["origin"] = args.origin
    return await websockets.connect(url_with_token(args.url, args.token), **kw)


async def cmd_ua(args):
    try:
        ws = await connect(args)
    except websockets.exceptions.InvalidStatusCode as e:
        emit({"event": "report", "http_status": e.status_code, "errors": ["upgrade refused"]})
        return 0
    ua = UA(ws, args)
    emit({"event": "connected", "subprotocol": ws.subprotocol, "host": ua.host})
    try:
        await asyncio.wait_for(ua.run(), args.max_runtime)
    except asyncio.TimeoutError:
        ua.report["errors"].append("max runtime reached")
    ua.report["http_status"] = 101
    ua.report["subprotocol"] = ws.subprotocol
    await ws.close()
    ua.reader.cancel()
    emit(ua.report)
    return 0


async def cmd_probe(args):
    out = {"http_status": None, "response": None, "close_code": None, "close_reason": None}
    try:
        ws = await connect(args, subprotocols=None if args.no_subprotocol else ("sip",))
    except websockets.exceptions.InvalidStatusCode as e:
        out["http_status"] = e.status_code
        emit(out)
        return 0
    except Exception as e:
        out["error"] = repr(e)
        emit(out)
        return 0
    out["http_status"] = 101
    out["subprotocol"] = ws.subprotocol
    host = rnd(12) + ".invalid"
    msg = None
    if args.options:
        br = "z9hG4bK" + rnd(12)
        msg = build("OPTIONS sip:198.18.1.1 SIP/2.0",
                    [("Via", f"SIP/2.0/WSS {host};branch={br}"), ("Max-Forwards", "70"),
                     ("To", "<sip:198.18.1.1>"), ("From", f"<sip:probe@{host}>;tag={rnd(6)}"),
                     ("Call-ID", rnd(16)), ("CSeq", "1 OPTIONS")])
    elif args.oversize:
        br = "z9hG4bK" + rnd(12)
        pad = "x" * args.oversize
        msg = build("OPTIONS sip:198.18.1.1 SIP/2.0",
                    [("Via", f"SIP/2.0/WSS {host};branch={br}"), ("Max-Forwards", "70"),
                     ("To", "<sip:198.18.1.1>"), ("From", f"<sip:probe@{host}>;tag={rnd(6)}"),
                     ("Call-ID", rnd(16)), ("CSeq", "1 OPTIONS"), ("X-Pad", pad)])
    elif args.burst:
        for i in range(args.burst):
            br = "z9hG4bK" + rnd(12)
            try:
                await ws.send(build("OPTIONS sip:198.18.1.1 SIP/2.0",
                                    [("Via", f"SIP/2.0/WSS {host};branch={br}"), ("Max-Forwards", "70"),
                                     ("To", "<sip:198.18.1.1>"), ("From", f"<sip:probe@{host}>;tag={rnd(6)}"),
                                     ("Call-ID", rnd(16)), ("CSeq", f"{i + 1} OPTIONS")]))
            except websockets.exceptions.ConnectionClosed:
                break
            out["burst_sent"] = i + 1
        args.idle = True
    elif args.raw is not None:
        msg = args.raw.replace("\\r\\n", "\r\n").replace("HOST.invalid", host)
    try:
        if msg is not None:
            await ws.send(msg)
        deadline = time.monotonic() + args.wait
        next_options = time.monotonic() + (args.options_every or 1e9)
        out["options_sent"] = 0
        while time.monotonic() < deadline:
            if time.monotonic() >= next_options:
                br = "z9hG4bK" + rnd(12)
                await ws.send(build("OPTIONS sip:198.18.1.1 SIP/2.0",
                                    [("Via", f"SIP/2.0/WSS {host};branch={br}"), ("Max-Forwards", "70"),
                                     ("To", "<sip:198.18.1.1>"), ("From", f"<sip:probe@{host}>;tag={rnd(6)}"),
                                     ("Call-ID", rnd(16)), ("CSeq", "1 OPTIONS")]))
                out["options_sent"] += 1
                next_options += args.options_every
            try:
                r = await asyncio.wait_for(ws.recv(), max(0.05, min(deadline, next_options) - time.monotonic()))
            except asyncio.TimeoutError:
                if args.idle:
                    continue
                break
            text = r if isinstance(r, str) else r.decode(errors="replace")
            out["responses"] = out.get("responses", 0) + 1
            if out["response"] is None:
                out["response"] = text.split("\r\n", 1)[0]
                out["response_text"] = text
            if not args.idle:
                break
        if args.idle:  # waited for the server to close
            pass
        await ws.close()
        out["close_code"] = ws.close_code
        out["close_reason"] = ws.close_reason
        out["closed_by"] = "client"
    except websockets.exceptions.ConnectionClosed as e:
        out["close_code"] = e.rcvd.code if e.rcvd else None
        out["close_reason"] = e.rcvd.reason if e.rcvd else None
        out["closed_by"] = "server"
    out["elapsed_s"] = round(time.monotonic() - args.t0, 3)
    emit(out)
    return 0


def cmd_nopong(args):
    """A raw WebSocket client that upgrades, then reads frames and never answers a ping."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    out = {"http_status": None, "pings": 0, "close_code": None, "close_reason": None}
    key = base64.b64encode(os.urandom(16)).decode()
    path = "/?token=" + args.token if args.token else "/"
    req = (f"GET {path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
           f"Sec-WebSocket-Protocol: sip\r\nOrigin: {args.origin}\r\n\r\n")
    t0 = time.monotonic()
    with socket.create_connection((args.host, args.port), timeout=args.wait) as s:
        with ctx.wrap_socket(s, server_hostname=args.host) as t:
            t.sendall(req.encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = t.recv(4096)
                if not chunk:
                    break
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            out["http_status"] = int(head.split(b" ")[1]) if head else None
            deadline = t0 + args.wait
            try:
                while time.monotonic() < deadline:
                    t.settimeout(max(0.05, deadline - time.monotonic()))
                    while len(buf) < 2 or len(buf) < 2 + (buf[1] & 0x7F):
                        chunk = t.recv(4096)
                        if not chunk:
                            raise EOFError
                        buf += chunk
                    op, n = buf[0] & 0x0F, buf[1] & 0x7F  # control frames: < 126 bytes, unmasked
                    if n >= 126:
                        out["error"] = "data frame"
                        break
                    payload, buf = buf[2:2 + n], buf[2 + n:]
                    if op == 0x9:
                        out["pings"] += 1
                    elif op == 0x8:
                        out["close_code"] = int.from_bytes(payload[:2], "big") if n >= 2 else None
                        out["close_reason"] = payload[2:].decode(errors="replace")
                        break
            except (socket.timeout, EOFError, OSError) as e:
                out["error"] = repr(e)
    out["elapsed_s"] = round(time.monotonic() - t0, 3)
    emit(out)
    return 0


def cmd_tcpidle(args):
    """Connects over TCP and sends nothing: when does the server give up?"""
    t0 = time.monotonic()
    out = {"closed_by": None}
    with socket.create_connection((args.host, args.port), timeout=args.wait) as s:
        try:
            data = s.recv(1)
            out["closed_by"] = "server" if not data else "data"
        except socket.timeout:
            out["closed_by"] = "timeout"
        except OSError as e:
            out["closed_by"] = "server"
            out["error"] = repr(e)
    out["elapsed_s"] = round(time.monotonic() - t0, 3)
    emit(out)
    return 0


def cmd_tls(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer the old protocols at all
    v = getattr(ssl.TLSVersion, args.max_version)
    ctx.minimum_version = ssl.TLSVersion.TLSv1 if v <= ssl.TLSVersion.TLSv1_1 else v
    ctx.maximum_version = v
    out = {"max_version": args.max_version}
    try:
        with socket.create_connection((args.host, args.port), timeout=5) as s:
            with ctx.wrap_socket(s, server_hostname=args.host) as t:
                out["handshake"] = "ok"
                out["version"] = t.version()
    except (ssl.SSLError, ConnectionError, OSError) as e:
        out["handshake"] = "refused"
        out["error"] = str(e)
    emit(out)
    return 0


def cmd_token(args):
    import jwt
    secret = open(args.key, "rb").read().strip()
    now = int(time.time())
    claims = {"iss": "rampart-lab", "aud": "rampart", "sub": args.sub, "scope": args.scope,
              "iat": now, "nbf": now, "exp": now + 600}
    key, alg, hdr = secret, "HS256", {"kid": "lab"}
    k = args.kind
    if k == "expired":
        claims.update(iat=now - 7200, nbf=now - 7200, exp=now - 3600)
    elif k == "nbf":
        claims.update(iat=now, nbf=now + 3600, exp=now + 7200)
    elif k == "forged":
        key = os.urandom(32).hex().encode()
    elif k == "aud":
        claims["aud"] = "someone-else"
    elif k == "iss":
        claims["iss"] = "evil"
    elif k == "short":
        claims.update(iat=now - 600, nbf=now - 600, exp=now + args.ttl)
    elif k == "lapsed":  # expired 10 s ago: inside the realm's leeway (30 s)
        claims.update(iat=now - 600, nbf=now - 600, exp=now - 10)
    elif k == "register-only":
        claims["scope"] = "register"
    if k == "none":
        def b64(o):
            return base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        print(b64({"alg": "none", "typ": "JWT", "kid": "lab"}) + "." + b64(claims) + ".")
        return 0
    print(jwt.encode(claims, key, algorithm=alg, headers=hdr))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("ua", "probe"):
        p = sub.add_parser(name)
        p.add_argument("--url", default="wss://198.18.1.1:8443/")
        p.add_argument("--token")
        p.add_argument("--origin")
        if name == "ua":
            p.add_argument("--user", required=True)
            p.add_argument("--from-user", help="From user of the INVITE (default --user)")
            p.add_argument("--password")
            p.add_argument("--domain", default="pbx.lab")
            p.add_argument("--register", action="store_true")
            p.add_argument("--delay", type=float, help="wait this long after the upgrade first")
            p.add_argument("--unregister", action="store_true")
            p.add_argument("--call")
            p.add_argument("--srtp", action="store_true")
            p.add_argument("--media", default="198.18.2.2:40000")
            p.add_argument("--key", help="our SDES key (base64, 30 bytes); generated when absent")
            p.add_argument("--offer-file", help="send this SDP as the INVITE's offer")
            p.add_argument("--answer-out", help="write the 200's SDP body to this file")
            p.add_argument("--hold", type=float)
            p.add_argument("--hold-file")
            p.add_argument("--drop", action="store_true", help="close the WebSocket instead of BYE")
            p.add_argument("--max-hold", type=float, default=30)
            p.add_argument("--answer", action="store_true")
            p.add_argument("--answer-timeout", type=float, default=20)
            p.add_argument("--ring", type=float, default=0.2)
            p.add_argument("--invite-timeout", type=float, default=15)
            p.add_argument("--linger", type=float)
            p.add_argument("--until-file")
            p.add_argument("--max-runtime", type=float, default=60)
            p.add_argument("--trace", help="append every SIP message sent and received to this file")
        else:
            p.add_argument("--no-subprotocol", action="store_true")
            p.add_argument("--options", action="store_true")
            p.add_argument("--oversize", type=int)
            p.add_argument("--raw")
            p.add_argument("--burst", type=int, help="N OPTIONS back to back, then read until closed")
            p.add_argument("--wait", type=float, default=3)
            p.add_argument("--idle", action="store_true", help="keep reading until the server closes or --wait")
            p.add_argument("--options-every", type=float, help="with --idle: an OPTIONS this often")
    p = sub.add_parser("nopong")
    p.add_argument("--host", default="198.18.1.1")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--token")
    p.add_argument("--origin", default="https://app.rampart.test")
    p.add_argument("--wait", type=float, default=10)
    p = sub.add_parser("tcpidle")
    p.add_argument("--host", default="198.18.1.1")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--wait", type=float, default=10)
    p = sub.add_parser("tls")
    p.add_argument("--host", default="198.18.1.1")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--max-version", default="TLSv1_1")
    p = sub.add_parser("token")
    p.add_argument("--key", required=True)
    p.add_argument("--kind", default="good")
    p.add_argument("--sub", default="alice")
    p.add_argument("--scope", default="register call")
    p.add_argument("--ttl", type=int, default=600)
    args = ap.parse_args()
    args.t0 = time.monotonic()
    if args.cmd == "ua":
        return asyncio.run(cmd_ua(args))
    if args.cmd == "probe":
        return asyncio.run(cmd_probe(args))
    if args.cmd == "tls":
        return cmd_tls(args)
    if args.cmd == "tcpidle":
        return cmd_tcpidle(args)
    if args.cmd == "nopong":
        return cmd_nopong(args)
    return cmd_token(args)


if __name__ == "__main__":
    sys.exit(main())
