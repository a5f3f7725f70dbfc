#!/usr/bin/python3
"""Opens COUNT SIP-over-WebSocket (wss) connections from SRC_IP, registers one user on each
(REGISTER To <sip:PREFIXnnnnn@HOST>, Expires 3600) and holds them idle until SIGTERM.
Prints {"event": "ready", "connected", "registered", "secs"} once every connection has
been tried, then {"event": "done"}. With --jwt-key each connection carries an HS256 token
(`?token=`, claims as tools/lab-jwt's, subject its user).

usage: wss_hold.py URL SRC_IP COUNT [--prefix 8] [--origin O] [--jwt-key PATH] [--parallel 50]
"""
import argparse
import asyncio
import json
import random
import resource
import signal
import ssl
import sys
import time

import websockets


def token(key, sub):
    import jwt
    now = int(time.time())
    claims = {"iss": "rampart-lab", "aud": "rampart", "sub": sub, "scope": "register call",
              "iat": now, "nbf": now, "exp": now + 3600}
    return jwt.encode(claims, key, algorithm="HS256", headers={"kid": "lab"})


def register_msg(host, user, n):
    tag, br, inv = "%x" % random.getrandbits(32), "z9hG4bK%x" % random.getrandbits(48), "h%d.invalid" % n
    return ("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/WSS %s;branch=%s\r\nMax-Forwards: 70\r\n"
            "To: <sip:%s@%s>\r\nFrom: <sip:%s@%s>;tag=%s\r\nCall-ID: r%d-%s\r\nCSeq: 1 REGISTER\r\n"
            "Contact: <sip:%s@%s;transport=ws>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n") % (
        host, inv, br, user, host, user, host, tag, n, tag, user, inv)


async def one(a, n, ctx, key, held, stats):
    user = "%s%05d" % (a.prefix, n)
    url = a.url + ("?token=" + token(key, user) if key else "")
    host = a.url.split("//", 1)[1].split("/", 1)[0].split(":")[0]
    try:
        ws = await websockets.connect(url, ssl=ctx, subprotocols=["sip"], origin=a.origin, open_timeout=15,
                                      ping_interval=None, close_timeout=1,
                                      local_addr=(a.src, 0), max_size=2**16)
    except Exception:  # noqa: BLE001 - counted
        return
    held.append(ws)
    stats["connected"] += 1
    try:
        await ws.send(register_msg(host, user, n))
        for _ in range(3):        # a 100 Trying may come first
            r = await asyncio.wait_for(ws.recv(), 15)
            code = r.split(" ", 2)[1] if r.startswith("SIP/2.0 ") else ""
            if code.startswith("2"):
                stats["registered"] += 1
                return
            if code >= "200":
                stats.setdefault("status_" + code, 0)
                stats["status_" + code] += 1
                return
    except Exception:  # noqa: BLE001 - counted as not registered
        return


async def run(a):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    key = open(a.jwt_key, "rb").read().strip() if a.jwt_key else None
    held, stats = [], {"connected": 0, "registered": 0}
    t0 = time.time()
    sem = asyncio.Semaphore(a.parallel)

    async def guarded(n):
        async with sem:
            await one(a, n, ctx, key, held, stats)
    await asyncio.gather(*(guarded(n) for n in range(a.count)))
    print(json.dumps(dict(event="ready", secs=round(time.time() - t0, 1), **stats)), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for ws in held:
        ws.transport.abort()
    print(json.dumps({"event": "done"}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("src")
    ap.add_argument("count", type=int)
    ap.add_argument("--prefix", default="8")
    ap.add_argument("--origin", default="https://app.rampart.test")
    ap.add_argument("--jwt-key")
    ap.add_argument("--parallel", type=int, default=50)
    a = ap.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(run(a))


if __name__ == "__main__":
    main()
