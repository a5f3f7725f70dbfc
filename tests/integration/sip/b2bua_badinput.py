#!/usr/bin/env python3
"""Bad and odd SIP input against Rampart's wan listener (b2bua_call_test.sh, case 5).

Each case is sent from --source (UDP, one socket; TCP for the oversized one) to --target:5060.
A case's outcome is the first final response (100 Trying is skipped) within the wait, or "drop"
when none came; with --metrics-cmd (a shell command printing the control plane's metrics page)
a drop is "counted" when rampart_cp_sip_malformed_total or rampart_cp_transport_drops_total grew
while the case ran.

Expectations:
  valid    a request RFC 3261/4475 says must be handled: the listed answer (200, 405, 416, 420,
           481, ...); a 400 or silence is a failure
  invalid  must be refused: 400 (with a reason phrase), or a listed specific code (505, 513),
           or a counted drop; any 2xx is a failure
  drop     not a request (garbage, a response nobody asked for): no answer and no crash
  lenient  the grammar allows it or RFC 4475 lets a receiver be liberal: handled (the listed
           answer) or refused (400 / counted drop) are both fine
  ignore   keep-alive CRLFs: no answer
A "note" names an accepted answer that is not the one the RFC recommends (e.g. a counted drop
where RFC 4475 suggests 400, 400 where RFC 3261 8.2.2.1 suggests 416).
Prints one line per case; exits 1 if any case failed.
"""
import argparse
import random
import re
import socket
import subprocess
import sys
import time


def rnd(n=10):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def request(method, ruri, src, port, extra="", body="", cseq_method=None, drop=(), via=None,
            content_length=None):
    """A request with the mandatory headers (minus those named in drop), CRLF line ends."""
    branch = "z9hG4bK" + rnd()
    hdrs = [
        ("Via", via if via is not None else f"SIP/2.0/UDP {src}:{port};branch={branch};rport"),
        ("Max-Forwards", "70"),
        ("From", f"<sip:tester@{src}>;tag={rnd()}"),
        ("To", "<sip:600@198.18.1.1>"),
        ("Call-ID", f"{rnd(16)}@{src}"),
        ("CSeq", f"1 {cseq_method or method}"),
    ]
    lines = [f"{method} {ruri} SIP/2.0"]
    lines += [f"{k}: {v}" for k, v in hdrs if k not in drop]
    if extra:
        lines += extra.strip("\n").split("\n")
    cl = len(body.encode()) if content_length is None else content_length
    if "Content-Length" not in drop:
        lines.append(f"Content-Length: {cl}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


SDP = ("v=0\r\no=t 1 1 IN IP4 198.18.2.2\r\ns=-\r\nc=IN IP4 198.18.2.2\r\nt=0 0\r\n"
       "m=audio 7990 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n")


def cases(src, port, tgt):
    """(name, kind, accepted answers, bytes)."""
    R = f"sip:600@{tgt}"
    O = f"sip:{tgt}"
    c = []
    # --- not SIP at all
    c.append(("garbage-binary", "drop", set(), bytes(random.getrandbits(8) for _ in range(300))))
    c.append(("garbage-text", "drop", set(), b"hello rampart, this is not SIP\r\n\r\n"))
    c.append(("crlf-keepalive", "ignore", set(), b"\r\n\r\n"))
    # --- valid requests, some odd but legal (RFC 4475 3.1.1)
    c.append(("options-plain", "valid", {200}, request("OPTIONS", O, src, port)))
    # 3.1.1.1 wsinv style: compact forms, folding, odd case, unknown headers, LWS around colons
    b = "z9hG4bK" + rnd()
    wsinv = (f"OPTIONS {O} SIP/2.0\r\n"
             f"TO :\r\n <sip:600@{tgt}> ;   tag    = 1918181833n\r\n"
             f"from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@{src}>\r\n  ;\r\n  tag = 98asjd8\r\n"
             f"MaX-fOrWaRdS: 0068\r\n"
             f"Call-ID\r\n   : wsinv.ndaksdj@{src}\r\n"
             f"cseq: 0009\r\n  OPTIONS\r\n"
             f"Via  : SIP  /   2.0\r\n  /UDP\r\n    {src}:{port};rport;branch=390skdjuw;received=9.9.9.9\r\n"
             f"v:  SIP  / 2.0  / UDP  {src}:{port};branch={b}\r\n"
             f"NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n"
             f"UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"
             f"l: 0\r\n\r\n").encode()
    # The above uses a To tag, which makes it an in-dialog OPTIONS: 481 is as right as 200.
    c.append(("rfc4475-wsinv-like", "valid", {200, 481}, wsinv))
    c.append(("compact-headers", "valid", {200},
              (f"OPTIONS {O} SIP/2.0\r\nv: SIP/2.0/UDP {src}:{port};branch=z9hG4bK{rnd()};rport\r\n"
               f"f: <sip:tester@{src}>;tag={rnd()}\r\nt: <sip:600@{tgt}>\r\ni: {rnd()}@{src}\r\n"
               f"CSeq: 7 OPTIONS\r\nMax-Forwards: 70\r\nl: 0\r\n\r\n").encode()))
    c.append(("rfc4475-esc01", "valid", {200},
              request("OPTIONS", f"sip:sips%3Auser%40example.com@{tgt};other-param=summit", src, port)))
    c.append(("rfc4475-escnull", "valid", {200},
              request("OPTIONS", f"sip:null-%00-null@{tgt}", src, port)))
    c.append(("rfc4475-longreq-like", "valid", {200},
              request("OPTIONS", O, src, port,
                      extra="X-Long: " + "x" * 4000 + "\nSubject: " + "long " * 400)))
    c.append(("rfc4475-intmeth", "valid", {405, 501},
              request("!interesting-Method0123456789_*+`.%indeed'~",
                      f"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@{tgt}",
                      src, port)))
    c.append(("rfc4475-unksm-ruri", "lenient", {416},
              request("OPTIONS", "soap.beep://192.0.2.103:3002", src, port)))
    c.append(("require-unknown", "valid", {420},
              request("OPTIONS", O, src, port, extra="Require: nothingweknow")))
    c.append(("noreason-response", "drop", set(),
              (f"SIP/2.0 200 \r\nVia: SIP/2.0/UDP 198.18.1.1:5060;branch=z9hG4bK{rnd()}\r\n"
               f"From: <sip:a@{tgt}>;tag=1\r\nTo: <sip:b@{src}>;tag=2\r\nCall-ID: {rnd()}\r\n"
               "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()))
    c.append(("bye-unknown-dialog", "valid", {481},
              request("BYE", R, src, port).replace(b"To: <sip:600@198.18.1.1>",
                                                    b"To: <sip:600@198.18.1.1>;tag=nosuchdialog")))
    c.append(("bye-no-to-tag", "valid", {481}, request("BYE", R, src, port)))
    c.append(("cancel-unknown", "valid", {481}, request("CANCEL", R, src, port)))
    c.append(("invite-no-sdp", "valid", {488, 400},  # RFC 3261 allows offerless INVITE; Rampart
              request("INVITE", R, src, port)))   # documents 488 "An SDP offer is required"
    # --- invalid (RFC 4475 3.1.2 and friends): 400 or a counted drop
    c.append(("missing-call-id", "invalid", set(),
              request("INVITE", R, src, port, body=SDP, drop=("Call-ID",),
                      extra="Content-Type: application/sdp")))
    c.append(("rfc4475-insuf", "invalid", set(),
              request("OPTIONS", O, src, port, drop=("Call-ID", "From", "Max-Forwards"))))
    c.append(("missing-cseq", "invalid", set(), request("OPTIONS", O, src, port, drop=("CSeq",))))
    c.append(("via-no-host", "invalid", set(), request("OPTIONS", O, src, port, via="SIP/2.0/UDP")))
    # sent-protocol = protocol-name "/" protocol-version "/" transport, both tokens: legal.
    c.append(("via-bad-version", "lenient", {200},
              request("OPTIONS", O, src, port, via=f"SIP/1.0/UDP {src}:{port};branch=z9hG4bK{rnd()}")))
    c.append(("via-garbage", "invalid", set(), request("OPTIONS", O, src, port, via="@@@ ;;; ===")))
    c.append(("rfc4475-ncl", "invalid", set(),
              request("INVITE", R, src, port, body=SDP, content_length=-999,
                      extra="Content-Type: application/sdp")))
    c.append(("rfc4475-clerr", "invalid", set(),
              request("INVITE", R, src, port, body=SDP, content_length=9999,
                      extra="Content-Type: application/sdp")))
    c.append(("rfc4475-mcl01", "invalid", set(),
              request("OPTIONS", O, src, port, body="hello", extra="Content-Length: 3")))
    c.append(("rfc4475-scalar02", "invalid", set(),
              request("OPTIONS", O, src, port, cseq_method="OPTIONS").replace(
                  b"CSeq: 1 OPTIONS", b"CSeq: 36893488147419103232 OPTIONS")))
    c.append(("rfc4475-mismatch01", "invalid", set(),
              request("OPTIONS", O, src, port, cseq_method="INVITE")))
    c.append(("rfc4475-badvers", "invalid", {505},
              request("OPTIONS", O, src, port).replace(b" SIP/2.0\r\n", b" SIP/7.0\r\n", 1)))
    c.append(("rfc4475-lwsstart", "lenient", {200},
              request("OPTIONS", O, src, port).replace(b"OPTIONS ", b"OPTIONS    ", 1)))
    c.append(("rfc4475-ltgtruri", "invalid", set(), request("OPTIONS", f"<{O}>", src, port)))
    c.append(("rfc4475-quotbal", "invalid", set(),
              request("OPTIONS", O, src, port).replace(b"From: <sip:", b"From: \"Bob <sip:", 1)))
    c.append(("rfc4475-bigcode-response", "drop", set(),
              (f"SIP/2.0 4294967301 better not break the receiver\r\n"
               f"Via: SIP/2.0/UDP 198.18.1.1:5060;branch=z9hG4bK{rnd()}\r\nFrom: <sip:a@{tgt}>;tag=1\r\n"
               f"To: <sip:b@{src}>;tag=2\r\nCall-ID: {rnd()}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").encode()))
    c.append(("invite-bad-sdp", "invalid", {488},
              request("INVITE", R, src, port, body="this is not sdp\r\n",
                      extra="Content-Type: application/sdp")))
    c.append(("large-valid-udp-30k", "valid", {200},
              request("OPTIONS", O, src, port, extra="X-Pad: " + "p" * 30000)))
    return c


def header(msg, name, compact):
    m = re.search(rb"^(?:" + name + rb"|" + compact + rb")[ \t]*:[ \t]*(.*?)\r?$", msg, re.I | re.M)
    return m.group(1).strip() if m else None


# Invalid cases that still carry Via, From, To, Call-ID and CSeq: a 400 could be sent.
ANSWERABLE = {"rfc4475-ncl", "rfc4475-clerr", "rfc4475-mcl01", "rfc4475-scalar02",
              "rfc4475-quotbal", "via-garbage"}


def first_final(sock, deadline, keys=(), target=None):
    """The first final response (bytes) to our request before deadline, or None: it must carry
    one of keys (the request's Call-ID or Via branch; no keys: any response).
    Responses to other requests (retransmitted answers to earlier cases) are skipped; a final
    answer to an INVITE is ACKed (RFC 3261 17.1.1.3) so the server stops retransmitting it."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(70000)
        except socket.timeout:
            return None
        m = re.match(rb"SIP/2\.0 (\d{3})", data)
        if not m or m.group(1) == b"100":
            continue
        cid = header(data, rb"Call-ID", rb"i")
        cseq = header(data, rb"CSeq", rb"CSeq") or b""
        if target and cseq.upper().endswith(b"INVITE"):
            ack(sock, data, target)
        if keys and not any(k in data for k in keys):
            continue
        return data


def ack(sock, resp, target):
    """ACK for a non-2xx final answer: same Via (top), From, To (with tag), Call-ID, CSeq number."""
    via = header(resp, rb"Via", rb"v")
    frm = header(resp, rb"From", rb"f")
    to = header(resp, rb"To", rb"t")
    cid = header(resp, rb"Call-ID", rb"i")
    cseq = header(resp, rb"CSeq", rb"CSeq")
    if not (via and frm and to and cid and cseq):
        return
    num = cseq.split()[0]
    msg = (b"ACK sip:600@" + target.encode() + b" SIP/2.0\r\nVia: " + via + b"\r\nFrom: " + frm +
           b"\r\nTo: " + to + b"\r\nCall-ID: " + cid + b"\r\nCSeq: " + num +
           b" ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
    sock.sendto(msg, (target, 5060))


def keys_of(req):
    keys = []
    cid = header(req, rb"Call-ID", rb"i")
    if cid and len(cid) >= 8:
        keys.append(cid)
    keys += [b for b in re.findall(rb"branch=(z9hG4bK[0-9a-z]+)", req)]
    return keys


def status_line(data):
    return data.split(b"\r\n", 1)[0].decode(errors="replace") if data else None


def malformed(cmd):
    if not cmd:
        return None
    out = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=5).stdout
    return sum(float(l.split()[-1]) for l in out.splitlines()
               if l.startswith(("rampart_cp_sip_malformed_total", "rampart_cp_transport_drops_total")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default="198.18.1.1")
    ap.add_argument("--source", default="198.18.1.2")
    ap.add_argument("--port", type=int, default=5098)
    ap.add_argument("--wait", type=float, default=0.6)
    ap.add_argument("--metrics-cmd", default="")
    ap.add_argument("--report", default="-")
    a = ap.parse_args()
    out = sys.stdout if a.report == "-" else open(a.report, "w")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((a.source, a.port))
    failed = 0
    for name, kind, ok_codes, data in cases(a.source, a.port, a.target):
        m0 = malformed(a.metrics_cmd)
        sock.sendto(data, (a.target, 5060))
        wait = a.wait if kind in ("valid", "invalid", "lenient") else 0.4
        line = status_line(first_final(sock, time.monotonic() + wait, keys_of(data), a.target))
        if line is None:
            time.sleep(0.05)
        m1 = malformed(a.metrics_cmd)
        counted = m0 is not None and m1 > m0
        code = int(line.split()[1]) if line else None
        refused = (code == 400 and len(line.split(None, 2)) == 3) or (code is None and counted)
        note = ""
        if kind == "valid":
            good = code in ok_codes
        elif kind == "invalid":
            good = refused or code in ok_codes
            if code is None and counted and name in ANSWERABLE:
                note = " [note: every header a 400 needs is there; RFC 4475 suggests a 400]"
        elif kind == "lenient":
            good = refused or code in ok_codes
            if code not in ok_codes:
                note = f" [note: {sorted(ok_codes)} is the recommended answer]"
        elif kind == "drop":
            good = code is None
        else:
            good = code is None
        outcome = line if line else ("drop, counted" if counted else "no answer, not counted")
        print(f"   {'ok  ' if good else 'FAIL'} {kind:7} {name:26} {outcome} ({len(data)} bytes){note}",
              file=out)
        failed += 0 if good else 1
    # Oversized over TCP: past security.max_sip_message_bytes (65535), refused (513, 400 or a
    # closed connection), never answered 200.
    body = "x" * 70000
    big = request("OPTIONS", f"sip:{a.target}", a.source, 5099, body=body,
                  extra="Content-Type: text/plain").replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP", 1)
    m0 = malformed(a.metrics_cmd)
    s = socket.create_connection((a.target, 5060), timeout=3, source_address=(a.source, 0))
    got = b""
    how = "no answer within 2 s"
    try:
        s.sendall(big)
        s.settimeout(2)
        while True:
            d = s.recv(4096)
            if not d:
                how = "connection closed by Rampart"
                break
            got += d
            if b"\r\n\r\n" in got:
                break
    except socket.timeout:
        pass
    except (ConnectionResetError, BrokenPipeError):
        how = "connection reset by Rampart"
    s.close()
    m1 = malformed(a.metrics_cmd)
    line = got.split(b"\r\n", 1)[0].decode(errors="replace") if got else ""
    good = not line.startswith("SIP/2.0 2")
    outcome = line or (how + (", counted" if m0 is not None and m1 > m0 else ", not counted"))
    print(f"   {'ok  ' if good else 'FAIL'} invalid oversized-tcp-70k            {outcome} ({len(big)} bytes)", file=out)
    failed += 0 if good else 1
    # Still alive: a plain OPTIONS is answered.
    last = request("OPTIONS", f"sip:{a.target}", a.source, a.port)
    sock.sendto(last, (a.target, 5060))
    line = status_line(first_final(sock, time.monotonic() + 2, keys_of(last), a.target)) or ""
    good = bool(line) and line.startswith("SIP/2.0 200")
    print(f"   {'ok  ' if good else 'FAIL'} valid   options-after-all              {line}", file=out)
    failed += 0 if good else 1
    print(f"   {failed} case(s) failed", file=out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
