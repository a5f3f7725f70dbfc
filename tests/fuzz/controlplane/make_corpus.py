#!/usr/bin/env python3
"""Writes the seed corpus of cp_ws_access_fuzz: upgrade requests with good, expired, forged,
alg-none and malformed tokens, good and bad origins and subprotocols. Tokens are signed with
the fuzz target's fixed secret (standard library only: hmac + base64 + json)."""
import base64, hashlib, hmac, json, os, sys

SECRET = b"rampart-fuzz-secret-0123456789abcdef"
NOW = 1700000000
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ws_access_corpus")

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def token(claims, alg="HS256", kid="lab", secret=SECRET, sign=True):
    head = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        head["kid"] = kid
    msg = b64(json.dumps(head).encode()) + "." + b64(json.dumps(claims).encode())
    sig = b64(hmac.new(secret, msg.encode(), hashlib.sha256).digest()) if sign else ""
    return msg + "." + sig

good = {"iss": "rampart-lab", "aud": "rampart", "sub": "alice", "iat": NOW - 10, "exp": NOW + 600}

def request(target="/", origin="https://app.example.com", proto="sip", auth=None, extra=""):
    lines = [f"GET {target} HTTP/1.1", "Host: sbc.example.com", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
             "Sec-WebSocket-Version: 13"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    if proto is not None:
        lines.append(f"Sec-WebSocket-Protocol: {proto}")
    if auth is not None:
        lines.append(f"Authorization: {auth}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()

seeds = {
    "good_query": request("/ws?token=" + token(good)),
    "good_bearer": request("/ws", auth="Bearer " + token(dict(good, scope="register call"))),
    "good_aud_array": request("/?token=" + token(dict(good, aud=["x", "rampart"]))),
    "expired": request("/?token=" + token(dict(good, exp=NOW - 100, iat=NOW - 200))),
    "not_yet_valid": request("/?token=" + token(dict(good, nbf=NOW + 500))),
    "forged": request("/?token=" + token(good, secret=b"x" * 32)),
    "alg_none": request("/?token=" + token(good, alg="none", sign=False)),
    "unknown_kid": request("/?token=" + token(good, kid="nope")),
    "no_kid": request("/?token=" + token(good, kid=None)),
    "wrong_issuer": request("/?token=" + token(dict(good, iss="evil"))),
    "lifetime": request("/?token=" + token(dict(good, exp=NOW + 10**6))),
    "bad_origin": request("/?token=" + token(good), origin="https://evil.example.com"),
    "no_origin": request("/?token=" + token(good), origin=None),
    "no_sip": request("/?token=" + token(good), proto="chat, xmpp"),
    "missing_token": request("/ws"),
    "not_upgrade": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "garbage_token": request("/?token=%41%zz..." + "A" * 50),
    "raw_token": token(good).encode(),
    "raw_origin": b"HTTPS://App.Example.COM:443",
}
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {out}", file=sys.stderr)
