#!/usr/bin/env bash
# The real rampart-dataplane in network namespaces of its own (tools/lab shape, prefix
# rdt<pid>-), net_af_packet on veth, peers using kernel sockets:
#  1. peers resolve the media addresses by ARP and IPv6 ND;
#  2. every action variant, both directions, wan <-> lan: payloads byte-identical after
#     decryption with the expected key; RTCP/SRTCP; rtcp-mux <-> separate port; IPv6 <-> IPv4;
#  3. egress DSCP seen by the receiver (IP_RECVTOS / IPV6_RECVTCLASS);
#  4. wrong source, forged tags, replays, truncated/garbage frames, bad IP/UDP lengths: dropped
#     and counted, process up, the legitimate stream unaffected; a prober gets nothing;
#     latching after SRTP authentication; DTLS punted and the answer injected; FlowIdle;
#  5. control-plane restart while a stream flows: no loss, the new one resynchronises (dump);
#  6. SIGTERM: exit 0.
# The dataplane runs with the idle back-off; every step is bounded.
# usage: relay_test.sh DATAPLANE_BIN DP_TOOL SOURCE_DIR
set -euo pipefail
dp=$1
tool=$2
src=$3
prefix="rdt$(( $$ % 100000 ))-"
shm="/rdt-$$-relay"
mport=$((20000 + $$ % 20000))
work=$(mktemp -d /tmp/rdt-$$-XXXX)
# shellcheck source=lab_lib.sh
. "$(dirname "$0")/lab_lib.sh"

K1=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d       # 30 B
K2=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbd       # 30 B
K3=303132333435363738393a3b3c3d3e3f404142434445464748494a4b           # 28 B
K4=505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b  # 44 B

lab_start
ctl connect >/dev/null || fail "handshake"

# add NAME args...: programs a flow, remembers its handle in $H_NAME
add() {
  local name=$1; shift
  local h
  h=$(ctl add "$@") || fail "FlowAdd $name refused"
  eval "H_$name=$h"
}
# stream FROM_NS FROM TO RECV_NS BIND "send opts" "recv opts" [count]
stream() {
  local count=${8:-20}
  nsx "$4" "$tool" recv --bind "$5" --expect "$count" --timeout-ms 4000 $7 >"$work/recv.out" &
  local rp=$!
  sleep 0.2
  nsx "$1" "$tool" send --from "$2" --to "$3" --count "$count" --interval-us 1000 $6 >/dev/null
  wait $rp || { cat "$work/recv.out" >&2; return 1; }
  cat "$work/recv.out"
}

echo "1. ARP and ND"
mac=$(sed -n 's/.*realm wan) up: \([0-9a-f:]*\),.*/\1/p' "$work/dp.log")
resolved "$wan" 198.18.2.1 198.18.2.2:4999 198.18.2.1:29999 || fail "wan peer: no ARP entry"
nsx "$wan" ip neigh show 198.18.2.1 | grep -q "lladdr $mac" || fail "wan ARP entry is not the dataplane's MAC $mac"
resolved "$wan" 2001:2:0:2::1 "[2001:2:0:2::2]:4999" "[2001:2:0:2::1]:29999" || fail "wan peer: no ND entry"
nsx "$wan" ip -6 neigh show 2001:2:0:2::1 | grep -q "lladdr $mac" || fail "ND entry is not $mac"
resolved "$lan" 198.18.4.1 198.18.4.2:4999 198.18.4.1:39999 || fail "lan peer: no ARP entry"
resolved "$lan" 2001:2:0:4::1 "[2001:2:0:4::2]:4999" "[2001:2:0:4::1]:39999" || fail "lan peer: no ND entry"

echo "2. action variants, both directions"
W=198.18.2.1; WP=198.18.2.2; L=198.18.4.1; LP=198.18.4.2
# pair NAME PORTW PORTL "wan-side srtp" "lan-side srtp" SUITE_W KEY_W SUITE_L KEY_L
# The wan peer speaks suite/key W, the lan peer suite/key L; the dataplane re-keys between.
pair() {
  local n=$1 pw=$2 pl=$3 sw=$4 kw=$5 sl=$6 kl=$7
  local inw="" outw="" inl="" outl="" sendw="" recvw="" sendl="" recvl=""
  if [ "$sw" != 0 ]; then inw="in_suite=$sw in_key=$kw"; outw="out_suite=$sw out_key=$kw";
    sendw="--suite $sw --key $kw"; recvw="--suite $sw --key $kw"; fi
  if [ "$sl" != 0 ]; then inl="in_suite=$sl in_key=$kl"; outl="out_suite=$sl out_key=$kl";
    sendl="--suite $sl --key $kl"; recvl="--suite $sl --key $kl"; fi
  add "${n}_a" in_port=0 in_local=$W in_lport=$pw in_remote=$WP in_rport=$pw out_port=1 \
      out_local=$L out_lport=$pl out_remote=$LP out_rport=$pl mux=1 $inw $outl
  add "${n}_b" in_port=1 in_local=$L in_lport=$pl in_remote=$LP in_rport=$pl out_port=0 \
      out_local=$W out_lport=$pw out_remote=$WP out_rport=$pw mux=1 $inl $outw
  local r
  r=$(stream "$wan" $WP:$pw $W:$pw "$lan" $LP:$pl "$sendw" "$recvl") || fail "$n wan->lan: $r"
  grep -q "tos=184" <<<"$r" || fail "$n wan->lan DSCP: $r"
  r=$(stream "$lan" $LP:$pl $L:$pl "$wan" $WP:$pw "$sendl" "$recvw") || fail "$n lan->wan: $r"
  grep -q "tos=184" <<<"$r" || fail "$n lan->wan DSCP: $r"
  r=$(stream "$wan" $WP:$pw $W:$pw "$lan" $LP:$pl "$sendw --rtcp" "$recvl --rtcp" 5) ||
    fail "$n RTCP wan->lan: $r"
  r=$(stream "$lan" $LP:$pl $L:$pl "$wan" $WP:$pw "$sendl --rtcp" "$recvw --rtcp" 5) ||
    fail "$n RTCP lan->wan: $r"
  echo "   $n ok"
}
pair rtp_rtp       20000 30000 0 "" 0 ""
pair rtp_srtp80    20002 30002 0 "" 1 $K1
pair srtp32_srtp80 20004 30004 2 $K2 1 $K1
pair gcm128_gcm256 20006 30006 3 $K3 4 $K4
pair srtp80_gcm128 20008 30008 1 $K2 3 $K3
# Which SRTP engine ran each direction (FlowInfo, ABI 1.5), and on the fast path the stream
# state another node would resume from (the highest sequence number the peer sent).
q=$(ctl query "$H_srtp32_srtp80_a") || fail "query srtp32_srtp80_a"
if [ "${RAMPART_TEST_SRTP_ENGINE:-}" = libsrtp ]; then
  grep -q "srtp_in_engine=2 .*srtp_out_engine=2 " <<<"$q" || fail "libsrtp2 not used: $q"
else
  grep -q "srtp_in_engine=1 .*srtp_out_engine=1 " <<<"$q" || fail "fast path not used: $q"
  grep -Eq "srtp_in_roc=0 srtp_in_seq=[1-9]" <<<"$q" || fail "no inbound stream state: $q"
  grep -Eq "srtp_out_roc=0 srtp_out_seq=[1-9]" <<<"$q" || fail "no outbound stream state: $q"
fi
[ "$(metric 'rampart_dp_srtp_(fast_path|libsrtp)\{')" -ge 8 ] || fail "SRTP engine gauges"

echo "   rtcp-mux (wan) <-> separate RTCP port (lan), video DSCP"
add mux_a in_port=0 in_local=$W in_lport=20010 in_remote=$WP in_rport=20010 out_port=1 \
    out_local=$L out_lport=30010 out_remote=$LP out_rport=30010 out_rtcp_lport=30011 \
    out_rtcp_rport=30011 mux=1 video=1 in_suite=1 in_key=$K1 out_suite=1 out_key=$K2
add mux_b in_port=1 in_local=$L in_lport=30011 in_remote=$LP in_rport=30011 out_port=0 \
    out_local=$W out_lport=20010 out_remote=$WP out_rport=20010 rtcp_only=1 \
    in_suite=1 in_key=$K2 out_suite=1 out_key=$K1
r=$(stream "$wan" $WP:20010 $W:20010 "$lan" $LP:30010 "--suite 1 --key $K1" "--suite 1 --key $K2") || fail "mux RTP: $r"
grep -q "tos=136" <<<"$r" || fail "video DSCP (AF41): $r"
r=$(stream "$wan" $WP:20010 $W:20010 "$lan" $LP:30011 "--suite 1 --key $K1 --rtcp" "--suite 1 --key $K2 --rtcp" 5) || fail "mux->separate RTCP: $r"
r=$(stream "$lan" $LP:30011 $L:30011 "$wan" $WP:20010 "--suite 1 --key $K2 --rtcp" "--suite 1 --key $K1 --rtcp" 5) || fail "separate->mux RTCP: $r"

echo "   IPv6 wan <-> IPv4 lan"
W6=2001:2:0:2::1; WP6=2001:2:0:2::2
add v6_a in_port=0 in_local=$W6 in_lport=20012 in_remote=$WP6 in_rport=20012 out_port=1 \
    out_local=$L out_lport=30012 out_remote=$LP out_rport=30012 in_suite=1 in_key=$K1 out_suite=3 out_key=$K3
add v6_b in_port=1 in_local=$L in_lport=30012 in_remote=$LP in_rport=30012 out_port=0 \
    out_local=$W6 out_lport=20012 out_remote=$WP6 out_rport=20012 in_suite=3 in_key=$K3 out_suite=1 out_key=$K1
r=$(stream "$wan" "[$WP6]:20012" "[$W6]:20012" "$lan" $LP:30012 "--suite 1 --key $K1" "--suite 3 --key $K3") || fail "v6->v4: $r"
r=$(stream "$lan" $LP:30012 $L:30012 "$wan" "[$WP6]:20012" "--suite 3 --key $K3" "--suite 1 --key $K1") || fail "v4->v6: $r"
grep -q "tos=184" <<<"$r" || fail "IPv6 traffic class: $r"

echo "   latching: the first source whose SRTP authenticates inside the window"
add latch_a in_port=0 in_local=$W in_lport=20014 out_port=1 out_local=$L out_lport=30014 \
    out_remote=$LP out_rport=30014 latch=3000 in_suite=1 in_key=$K1 out_suite=1 out_key=$K2
# A stranger with the wrong key is refused; the real peer (any port) latches.
nsx "$wan" "$tool" send --from $WP:7777 --to $W:20014 --count 3 --interval-us 0 --suite 1 --key $K2 >/dev/null
r=$(stream "$wan" $WP:5555 $W:20014 "$lan" $LP:30014 "--suite 1 --key $K1 --first-seq 10" "--suite 1 --key $K2") || fail "latching: $r"
nsx "$lan" "$tool" recv --bind $LP:30014 --expect 1 --timeout-ms 800 --suite 1 --key $K2 >"$work/latch2.out" &
lp=$!
nsx "$wan" "$tool" send --from $WP:7777 --to $W:20014 --count 3 --interval-us 0 --suite 1 --key $K1 --first-seq 100 >/dev/null
if wait $lp; then fail "a second source got through after latching"; fi
ctl query "$H_latch_a" | grep -q "remote_port=5555" || fail "latched remote: $(ctl query "$H_latch_a")"

echo "   DTLS punted to the control plane, its answer injected back (STUN is answered by"
echo "   the dataplane itself: ice_test.sh)"
ip netns exec "$sbc" "$tool" ctl "$shm" punt-echo >"$work/punt.out" 2>&1 &
pe=$!
sleep 0.3
echo=$(nsx "$wan" python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('198.18.2.2', 6666))
s.settimeout(3)
req = bytes([22, 0xfe, 0xfd, 0, 0, 0, 0, 0]) + bytes(range(12))  # a DTLS record header
s.sendto(req, ('198.18.2.1', 20000))
data, src = s.recvfrom(2048)
print('echo', len(data), src[1], data == req)
PY
) || fail "no injected answer: $(cat "$work/punt.out")"
wait $pe || fail "punt: $(cat "$work/punt.out")"
grep -q "punted kind=2 len=20 from_port=6666" "$work/punt.out" || fail "punt: $(cat "$work/punt.out")"
grep -q "echo 20 20000 True" <<<"$echo" || fail "inject: $echo"

echo "   idle event"
add idle_a in_port=0 in_local=$W in_lport=20016 in_remote=$WP in_rport=20016 out_port=1 \
    out_local=$L out_lport=30016 out_remote=$LP out_rport=30016 idle=2
ctl events | grep -q "event=FlowIdle flow=$H_idle_a" || fail "no FlowIdle for the silent flow"

echo "3. attacks and garbage are dropped and counted; the stream is unaffected"
before_ws=$(metric 'reason="wrong_source"')
before_auth=$(metric 'reason="srtp_auth"')
before_rep=$(metric 'reason="srtp_replay"')
before_mal=$(metric 'reason="(malformed|bad_ip_checksum)"')
nsx "$lan" "$tool" recv --bind $LP:30002 --expect 40 --timeout-ms 6000 --suite 1 --key $K1 >"$work/legit.out" &
legit=$!
bg_pids+=($legit)
sleep 0.2
nsx "$wan" "$tool" send --from $WP:20002 --to $W:20002 --count 40 --interval-us 20000 --first-seq 100 >/dev/null &
bg_pids+=($!)
# wrong source port and address, forged SRTP tags, replays, garbage
nsx "$wan" "$tool" send --from $WP:20003 --to $W:20002 --count 5 --interval-us 0 >/dev/null
nsx "$wan" "$tool" send --from $WP:20004 --to $W:20004 --count 5 --interval-us 0 --suite 2 --key $K2 --tag-corrupt --first-seq 500 >/dev/null
nsx "$wan" "$tool" send --from $WP:20004 --to $W:20004 --count 3 --interval-us 0 --suite 2 --key $K2 --first-seq 1 >/dev/null
nsx "$wan" python3 - "$mac" <<'PY'
import socket, struct, sys
mac = bytes.fromhex(sys.argv[1].replace(':', ''))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('wan-med', 0))
me = s.getsockname()[4][:6]
def csum(b):
    if len(b) % 2: b += b'\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return (~t) & 0xffff
def frame(udp_len=None, ip_len=None, payload=b'\x80' + bytes(40), ihl=5, bad_csum=False):
    u = struct.pack('!HHHH', 20002, 20002, udp_len if udp_len is not None else 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, ip_len if ip_len is not None else 20 + len(u),
                     1, 0, 64, 17, 0, socket.inet_aton('198.18.2.2'), socket.inet_aton('198.18.2.1'))
    c = csum(ip) ^ (0xffff if bad_csum else 0)
    ip = ip[:10] + struct.pack('!H', c) + ip[12:]
    return mac + me + b'\x08\x00' + ip + u
for f in [frame(udp_len=4), frame(udp_len=400), frame(ip_len=2000), frame(ip_len=10),
          frame(ihl=3), frame(bad_csum=True), frame()[:20], frame()[:40], mac + me + b'\x08\x00',
          mac + me + b'\x86\xdd' + bytes(30), mac + me + b'\x88\xb5' + bytes(50)]:
    s.send(f)
# garbage payloads through the kernel stack: not RTP, too short
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the legitimate sender holds it too
u.bind(('198.18.2.2', 20002))
for p in [b'', b'\x80', b'\xff' * 50, b'\x45' * 30]:
    u.sendto(p, ('198.18.2.1', 20002))
PY
wait "$legit" || fail "legitimate stream disturbed: $(cat "$work/legit.out")"
grep -q "ok=40 bad=0" "$work/legit.out" || fail "legit: $(cat "$work/legit.out")"
kill -0 "$dp_pid" || fail "dataplane died"
[ "$(metric 'reason="wrong_source"')" -ge $((before_ws + 5)) ] || fail "wrong source not counted"
[ "$(metric 'reason="srtp_auth"')" -ge $((before_auth + 5)) ] || fail "forged tags not counted"
[ "$(metric 'reason="srtp_replay"')" -ge $((before_rep + 3)) ] || fail "replays not counted"
[ "$(metric 'reason="(malformed|bad_ip_checksum)"')" -ge $((before_mal + 8)) ] || fail "malformed frames not counted"
[ "$(metric 'reason="not_rtp"')" -ge 2 ] || fail "garbage payloads not counted"

echo "   a prober receives nothing (allocated and unallocated ports)"
nsx "$wan" python3 - <<'PY' || fail "prober got an answer"
import socket, sys
for port in (20000, 20002, 25555):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('198.18.2.2', 40000 + port % 1000))
    s.connect(('198.18.2.1', port))   # connected: an ICMP error would surface as ECONNREFUSED
    s.settimeout(0.4)
    for probe in (b'\x80\x00' + bytes(10), b'\x00\x01' + bytes(18), b'hello'):
        s.send(probe)
    try:
        data = s.recv(2048)
        print('answer from port', port, data[:16]); sys.exit(1)
    except socket.timeout:
        pass
    except ConnectionRefusedError:
        print('ICMP port unreachable from', port); sys.exit(1)
PY

echo "4. control-plane restart while media flows"
nsx "$lan" "$tool" recv --bind $LP:30000 --expect 150 --timeout-ms 8000 --ssrc 0x5678 >"$work/cont.out" &
cont=$!
bg_pids+=($cont)
sleep 0.2
nsx "$wan" "$tool" send --from $WP:20000 --to $W:20000 --count 150 --interval-us 10000 --first-seq 1000 --ssrc 0x5678 >/dev/null &
bg_pids+=($!)
sleep 0.3
# Not through nsx: $! must be the control plane itself (ip netns exec execs it).
ip netns exec "$sbc" "$tool" ctl "$shm" events >/dev/null 2>&1 &
cp1=$!
sleep 0.3
kill -KILL "$cp1" 2>/dev/null || true
wait "$cp1" 2>/dev/null || true
ctl connect | grep -q "flows=16" || fail "new control plane does not see the 16 live flows: $(ctl connect)"
ctl dump | grep -q "^flows=16" || fail "resynchronisation dump"
wait "$cont" || fail "stream lost packets across the control-plane restart: $(cat "$work/cont.out")"
grep -q "ok=150 bad=0" "$work/cont.out" || fail "$(cat "$work/cont.out")"
q=$(ctl query "$H_rtp_rtp_a") || fail "query"
grep -q "lost=0 .*ssrc=0x5678" <<<"$q" || fail "flow reports loss or the wrong SSRC: $q"

echo "5. SIGTERM"
kill -TERM "$dp_pid"
rc=0
wait "$dp_pid" || rc=$?
dp_pid=""
[ "$rc" = 0 ] || fail "exit code $rc"
[ ! -e "/dev/shm/${shm#/}" ] || fail "region left behind"
echo "PASS"
