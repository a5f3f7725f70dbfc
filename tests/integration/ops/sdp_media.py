#!/usr/bin/python3
"""sdp_media.py MSG_FILE START_REGEX: the media address and port ("ADDR PORT") of the SDP in
the first message sipp logged as received (its -trace_msg file) whose start line matches
START_REGEX, e.g. '^SIP/2.0 200' at a UAC or '^INVITE ' at a UAS; exit 1 when there is none
yet."""
import re
import sys

try:
    text = open(sys.argv[1], errors="replace").read()
except OSError:
    sys.exit(1)
start = re.compile(sys.argv[2])
# sipp writes each message after a header line "<transport> message received [N] bytes :".
for block in re.split(r"^-{10,}.*$", text, flags=re.M):
    head, _, msg = block.partition("message received")
    if not _:
        continue
    lines = [l.strip() for l in msg.splitlines()[1:] if l.strip()]
    if not lines or not start.search(lines[0]):
        continue
    addr = next((l.split()[-1] for l in lines if l.startswith("c=IN IP4 ")), None)
    port = next((l.split()[1] for l in lines if l.startswith("m=audio ")), None)
    if addr and port:
        print(addr, port)
        sys.exit(0)
sys.exit(1)
