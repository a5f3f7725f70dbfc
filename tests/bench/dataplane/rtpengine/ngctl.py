#!/usr/bin/env python3
"""Programs SRTP->SRTP calls into rtpengine over its ng control protocol (bencode over UDP)
and writes the plan the load generator (rtpengine_load) reads: one line per call,

  a_port rtpe_port_for_a a_send_suite a_send_key a_recv_suite a_recv_key
  b_port rtpe_port_for_b b_send_suite b_send_key b_recv_suite b_recv_key

(keys in hex). Leg A uses AES_CM_128_HMAC_SHA1_32, leg B AES_CM_128_HMAC_SHA1_80, all keys
distinct: with equal suites rtpengine would pass SDES keys through and never decrypt.

usage: ngctl.py setup --calls N --plan FILE [--ng 127.0.0.1:22299] [--base-port 40000]
       ngctl.py teardown --calls N
"""
import argparse, base64, os, random, re, socket, sys

SUITES = {1: 'AES_CM_128_HMAC_SHA1_80', 2: 'AES_CM_128_HMAC_SHA1_32'}


def bencode(x):
    if isinstance(x, int):
        return b'i%de' % x
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, bytes):
        return b'%d:%s' % (len(x), x)
    if isinstance(x, list):
        return b'l' + b''.join(bencode(i) for i in x) + b'e'
    if isinstance(x, dict):
        return b'd' + b''.join(bencode(k) + bencode(v) for k, v in sorted(x.items())) + b'e'
    raise TypeError(type(x))


def bdecode(b, i=0):
    c = b[i:i + 1]
    if c == b'i':
        j = b.index(b'e', i)
        return int(b[i + 1:j]), j + 1
    if c in (b'l', b'd'):
        i += 1
        items = []
        while b[i:i + 1] != b'e':
            v, i = bdecode(b, i)
            items.append(v)
        if c == b'l':
            return items, i + 1
        return {items[k].decode(): items[k + 1] for k in range(0, len(items), 2)}, i + 1
    j = b.index(b':', i)
    n = int(b[i:j])
    return b[j + 1:j + 1 + n], j + 1 + n


class Ng:
    def __init__(self, addr):
        host, port = addr.rsplit(':', 1)
        self.addr = (host, int(port))
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(3)

    def cmd(self, d):
        cookie = '%x' % random.getrandbits(48)
        for _ in range(3):
            self.s.sendto(cookie.encode() + b' ' + bencode(d), self.addr)
            try:
                while True:
                    data, _ = self.s.recvfrom(65535)
                    c, _, body = data.partition(b' ')
                    if c.decode() == cookie:
                        r, _ = bdecode(body)
                        if r.get('result') != b'ok':
                            raise RuntimeError('ng %s: %r' % (d.get('command'), r))
                        return r
            except socket.timeout:
                continue
        raise RuntimeError('ng: no answer from %s:%d' % self.addr)


def sdp(port, suite, key, tag=1):
    k = base64.b64encode(key).decode()
    return ('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n'
            'm=audio %d RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n'
            'a=crypto:%d %s inline:%s\r\n' % (port, tag, SUITES[suite], k))


def parse(s):
    s = s.decode()
    port = int(re.search(r'^m=audio (\d+)', s, re.M).group(1))
    cryptos = {}
    for tag, suite, key in re.findall(r'^a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)', s, re.M):
        key += '=' * (-len(key) % 4)  # SDES keys are often unpadded
        cryptos.setdefault(suite, (int(tag), base64.b64decode(key)[:30]))
    return port, cryptos


FLAGS = {'ICE': 'remove', 'DTLS': 'off', 'replace': ['origin', 'session-connection']}


def setup(ng, n, plan, base):
    with open(plan, 'w') as out:
        for c in range(n):
            cid = 'rdtbench-%d' % c
            a_port, b_port = base + 4 * c, base + 4 * c + 2
            ka, kb = os.urandom(30), os.urandom(30)
            r = ng.cmd(dict(FLAGS, command='offer', sdp=sdp(a_port, 2, ka),
                            **{'call-id': cid, 'from-tag': cid + '-a',
                               'transport-protocol': 'RTP/SAVP'}))
            rtpe_for_b, offered = parse(r['sdp'])
            tag, krb = offered['AES_CM_128_HMAC_SHA1_80']
            r = ng.cmd(dict(FLAGS, command='answer', sdp=sdp(b_port, 1, kb, tag),
                            **{'call-id': cid, 'from-tag': cid + '-a', 'to-tag': cid + '-b',
                               'transport-protocol': 'RTP/SAVP'}))
            rtpe_for_a, answered = parse(r['sdp'])
            _, kra = answered['AES_CM_128_HMAC_SHA1_32']
            out.write('%d %d 2 %s 2 %s %d %d 1 %s 1 %s\n' % (
                a_port, rtpe_for_a, ka.hex(), kra.hex(), b_port, rtpe_for_b, kb.hex(), krb.hex()))


def teardown(ng, n):
    for c in range(n):
        cid = 'rdtbench-%d' % c
        try:
            ng.cmd({'command': 'delete', 'call-id': cid})
        except RuntimeError:
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument('what', choices=['setup', 'teardown'])
    p.add_argument('--calls', type=int, required=True)
    p.add_argument('--plan')
    p.add_argument('--ng', default='127.0.0.1:22299')
    p.add_argument('--base-port', type=int, default=40000)
    a = p.parse_args()
    ng = Ng(a.ng)
    if a.what == 'setup':
        setup(ng, a.calls, a.plan, a.base_port)
    else:
        teardown(ng, a.calls)


if __name__ == '__main__':
    sys.exit(main())
