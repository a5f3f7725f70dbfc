#!/usr/bin/python3
"""A stand-in SIP-over-WSS relay for the browser harness self-test (webrtc_harness_test.sh): it
lets two softphone pages call each other with no Rampart in between, so the browser driver's
checks (ICE, DTLS, media, ICE restart, BYE, DTMF, fingerprint mismatch) are proven against a
peer known to work: Chromium itself. Test code only, not a SIP proxy to reuse.

REGISTER is answered 200 (no authentication) and records the connection under the To user and the
Contact user. Other requests go to the connection of their Request-URI user (AoR or Contact),
with a Via of the relay pushed (responses pop it and return to the sender) and, on initial
INVITEs, a Record-Route so in-dialog requests come back through it. Route headers naming the
relay are dropped. Debian's python3-websockets 10.

usage: ws_relay.py --address 127.0.0.1 --port 8443 --cert CRT --key KEY [--ready-file PATH]
"""
import argparse
import asyncio
import re
import secrets
import ssl
import sys

import websockets

users = {}  # AoR user -> websocket
contacts = {}  # Contact user -> websocket
origin_of = {}  # our Via branch -> websocket that sent the request
our_branch = {}  # (sender's top Via branch, method group) -> our Via branch (CANCEL/ACK reuse)
RR = "Record-Route: <sip:relay.invalid;transport=ws;lr>"


def parse(msg):
    head, _, body = msg.partition("\r\n\r\n")
    lines = head.split("\r\n")
    return lines[0], lines[1:], body


def hget(headers, name):
    for h in headers:
        k, _, v = h.partition(":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def user_of(uri):
    m = re.search(r"sips?:([^@;>]+)@", uri or "")
    return m.group(1) if m else None


def build(first, headers, body):
    return "\r\n".join([first] + headers) + "\r\n\r\n" + body


def respond(ws, headers, code, reason, extra=()):
    keep = [h for h in headers if h.split(":", 1)[0].strip().lower() in ("via", "from", "to", "call-id", "cseq")]
    out = []
    for h in keep:
        if h.lower().startswith("to:") and ";tag=" not in h:
            h += f";tag={secrets.token_hex(4)}"
        out.append(h)
    out += list(extra) + ["Content-Length: 0"]
    return ws.send(build(f"SIP/2.0 {code} {reason}", out, ""))


async def on_request(ws, first, headers, body):
    method, ruri, _ = first.split(" ", 2)
    if method == "REGISTER":
        to_user = user_of(hget(headers, "to"))
        contact = hget(headers, "contact") or ""
        users[to_user] = ws
        if user_of(contact):
            contacts[user_of(contact)] = ws
        await respond(ws, headers, 200, "OK", [f"Contact: {contact};expires=600"])
        return
    target = contacts.get(user_of(ruri)) or users.get(user_of(ruri))
    if target is None:
        if method != "ACK":
            await respond(ws, headers, 404, "Not Found")
        return
    top_via = hget(headers, "via") or ""
    m = re.search(r"branch=([^;,\s]+)", top_via)
    their = m.group(1) if m else secrets.token_hex(6)
    group = "INVITE" if method in ("INVITE", "CANCEL", "ACK") else method
    key = (their, group)
    branch = our_branch.get(key) if method in ("CANCEL", "ACK") else None
    if branch is None:
        branch = "z9hG4bK" + secrets.token_hex(8)
        our_branch[key] = branch
    origin_of[branch] = ws
    out = [f"Via: SIP/2.0/WSS relay.invalid;branch={branch}"]
    for h in headers:
        name = h.split(":", 1)[0].strip().lower()
        if name == "route" and "relay.invalid" in h:
            continue
        out.append(h)
    to = hget(headers, "to") or ""
    if method == "INVITE" and ";tag=" not in to:
        out.insert(1, RR)
    await target.send(build(first, out, body))


async def on_response(ws, first, headers, body):
    # The top Via is ours: pop it and send the response to whoever sent the request.
    idx = next((i for i, h in enumerate(headers) if h.lower().startswith("via:")), None)
    if idx is None:
        return
    m = re.search(r"branch=([^;,\s]+)", headers[idx])
    src = origin_of.get(m.group(1)) if m else None
    if src is None:
        return
    del headers[idx]
    await src.send(build(first, headers, body))


async def handler(ws, _path=None):
    try:
        async for msg in ws:
            if isinstance(msg, bytes):
                msg = msg.decode(errors="replace")
            if not msg.strip():
                continue
            first, headers, body = parse(msg)
            try:
                if first.startswith("SIP/2.0 "):
                    await on_response(ws, first, headers, body)
                else:
                    await on_request(ws, first, headers, body)
            except websockets.ConnectionClosed:
                pass
    finally:
        for table in (users, contacts):
            for k in [k for k, v in table.items() if v is ws]:
                del table[k]


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8443)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ready-file")
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    async with websockets.serve(handler, args.address, args.port, ssl=ctx, subprotocols=["sip"]):
        if args.ready_file:
            with open(args.ready_file, "w") as f:
                f.write(f"wss://{args.address}:{args.port}/\n")
        print(f"ws_relay: wss://{args.address}:{args.port}/", file=sys.stderr, flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
