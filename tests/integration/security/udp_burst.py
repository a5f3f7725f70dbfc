#!/usr/bin/python3
"""Sends COUNT small UDP datagrams from SRC_IP to DST_IP:PORT, 1 ms apart (a media-like stream
that needs no call: the dataplane's ban check runs before any flow lookup).

usage: udp_burst.py SRC_IP DST_IP PORT COUNT
"""
import socket
import sys
import time

src, dst, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
rtp = bytes([0x80, 0]) + bytes(10) + bytes(160)
for _ in range(count):
    s.sendto(rtp, (dst, port))
    time.sleep(0.001)
