#!/usr/bin/env bash
# Transcoded calls through the real rampart-dataplane and rampart-transcoder in namespaces of
# their own (tools/lab shape, prefix rtx<pid>-), flows and XcodeSetup programmed with
# rampart-flowctl, both ends played by xc_audio_peer (libopus on the browser side, G.711 from
# the test's own tables on the PBX side):
#  1. Opus <-> PCMU with a tone sweep both ways at 0% loss: time-aligned correlation >= 0.90
#     and SNR >= 8 dB in each direction;
#  2. the same with espeak-ng speech: correlation >= 0.85;
#  3. 5% loss on the browser side's link both ways (netem; where the kernel has no netem, as
#     in Firecracker VMs, the browser-side peer drops the same 5% of what it sends and
#     receives): correlation >= 0.70 (PLC and in-band FEC fill the gaps);
#  4. the pair re-programmed on the live flows (what a codec-changing re-INVITE does): Opus <->
#     PCMA, Opus <-> G.722 (16 kHz, RTP clock 8000), and Opus -> PCMU at 40 ms ptime toward the
#     PBX: the same thresholds, and no one-way audio after each change;
#  5. a decoder fault never stops relaying: with the transcoder killed (SIGKILL) a relayed
#     call on the same worker keeps forwarding every packet, and the transcoded call's packets
#     are counted drops (xcode_full) instead.
# usage: xcode_call_test.sh DATAPLANE TRANSCODER FLOWCTL XC_AUDIO_PEER DP_TOOL SOURCE_DIR
set -euo pipefail
dp=$1
xc=$2
flowctl=$3
peer=$4
tool=$5
src=$6
prefix="rtx$(( $$ % 100000 ))-"
shm="/rtx-$$-xc"
mport=$((20000 + ($$ + 11) % 20000))
work=$(mktemp -d /tmp/rtx-$$-XXXX)
# shellcheck source=../dataplane/lab_lib.sh
. "$src/tests/integration/dataplane/lab_lib.sh"
xc_cleanup() {
  rm -f "/dev/shm/${shm#/}.xc"
  cleanup
}
trap xc_cleanup EXIT
fctl() { nsx "$sbc" "$flowctl" --shm "$shm" "$@"; }

W=198.18.2.1; B=198.18.2.2; L=198.18.4.1; P=198.18.4.2
SECONDS_PER_CALL=4

lab_start
# ip netns exec execs the binary, so $! is the transcoder itself (nsx would be a subshell).
ip netns exec "$sbc" "$xc" --shm "$shm" >"$work/xc.log" 2>&1 &
xc_pid=$!
bg_pids+=("$xc_pid")
for _ in $(seq 1 50); do grep -q "attached" "$work/xc.log" && break; sleep 0.1; done
grep -q "attached" "$work/xc.log" || fail "transcoder did not attach: $(cat "$work/xc.log")"

# Browser leg (wan, Opus PT 111) <-> PBX leg (lan, PCMU PT 0); one flow per direction.
A=$(fctl add --worker 0 --in-port 0 --in-local $W:20100 --in-remote $B:5100 --out-port 1 \
      --out-local $L:30100 --out-remote $P:5200 --cookie 1) || fail "FlowAdd A"
Bh=$(fctl add --worker 0 --in-port 1 --in-local $L:30100 --in-remote $P:5200 --out-port 0 \
       --out-local $W:20100 --out-remote $B:5100 --cookie 2) || fail "FlowAdd B"
fctl xcode --worker 0 "$A" --from opus:111 --to pcmu:0 --opus-fec >/dev/null || fail "xcode A"
fctl xcode --worker 0 "$Bh" --from pcmu:0 --to opus:111 --opus-fec >/dev/null || fail "xcode B"

# call NAME WAN_SIGNAL LAN_SIGNAL [FEC_LOSS] [DROP_PCT] [LAN_CODEC]: both ends send and receive at once; each compares
# what it got with the other end's signal. The browser end adds Opus in-band FEC for FEC_LOSS%.
call() {
  local lc=${6:-pcmu:0}
  nsx "$lan" "$peer" --local $P:5200 --remote $L:30100 --send "$lc" --recv "$lc" \
    --signal "$3" --ref "$2" --seconds $SECONDS_PER_CALL >"$work/$1.lan" &
  local lp=$!
  nsx "$wan" "$peer" --local $B:5100 --remote $W:20100 --send opus:111 --recv opus:111 \
    --signal "$2" --ref "$3" --seconds $SECONDS_PER_CALL --fec-loss "${4:-0}" \
    --drop-pct "${5:-0}" >"$work/$1.wan" || fail "$1: wan peer"
  wait "$lp" || fail "$1: lan peer"
  echo "  $1 opus->${lc%%:*} (at the PBX):     $(cat "$work/$1.lan")"
  echo "  $1 ${lc%%:*}->opus (at the browser): $(cat "$work/$1.wan")"
}
# expect FILE MIN_CORR MIN_SNR
expect() {
  /usr/bin/python3 - "$@" <<'PY' || fail "$1: quality below threshold: $(cat "$1")"
import json, sys
r = json.load(open(sys.argv[1]))
ok = r["received"] >= r["sent"] * 0.8 and r["corr"] >= float(sys.argv[2]) and \
     r["snr_db"] >= float(sys.argv[3])
sys.exit(0 if ok else 1)
PY
}

echo "1. Opus <-> PCMU, tone sweep, 0% loss"
call sweep sweep sweep
expect "$work/sweep.lan" 0.90 8
expect "$work/sweep.wan" 0.90 8

echo "2. Opus <-> PCMU, espeak-ng speech"
espeak-ng -w "$work/speech.wav" -s 150 \
  "The quick brown fox jumps over the lazy dog. Rampart transcodes this call." ||
  fail "espeak-ng"
call speech "$work/speech.wav" "$work/speech.wav"
expect "$work/speech.lan" 0.85 3
expect "$work/speech.wan" 0.85 3

echo "3. 5% loss on the browser's link, both ways"
if nsx "$wan" tc qdisc add dev wan-med root netem loss 5% 2>/dev/null; then
  call loss sweep sweep 10
  nsx "$wan" tc qdisc del dev wan-med root
else
  echo "  (no netem in this kernel: the browser-side peer drops 5% both ways)"
  call loss sweep sweep 10 5
fi
expect "$work/loss.lan" 0.70 0
expect "$work/loss.wan" 0.70 0

echo "4. codec changes on the live flows: PCMA, G.722, then 40 ms toward the PBX"
# xcode_pair TO_PBX FROM_PBX: both directions re-programmed on the live flows.
xcode_pair() {
  fctl xcode --worker 0 "$A" --from opus:111 --to "$1" >/dev/null || fail "xcode A -> $1"
  fctl xcode --worker 0 "$Bh" --from "$2" --to opus:111 --opus-fec >/dev/null ||
    fail "xcode B $2 ->"
}
xcode_pair pcma:8 pcma:8
call pcma sweep sweep 0 0 pcma:8
expect "$work/pcma.lan" 0.90 8
expect "$work/pcma.wan" 0.90 8
xcode_pair g722:9 g722:9
call g722 sweep sweep 0 0 g722:9
expect "$work/g722.lan" 0.90 8
expect "$work/g722.wan" 0.90 8
xcode_pair pcmu:0:40 pcmu:0
call ptime40 sweep sweep
/usr/bin/python3 - "$work/ptime40.lan" <<'PY' || fail "40 ms toward the PBX: $(cat "$work/ptime40.lan")"
import json, sys
r = json.load(open(sys.argv[1]))
# 4 s of audio in 40 ms packets: about 100 packets, the audio intact.
sys.exit(0 if 90 <= r["received"] <= 105 and r["corr"] >= 0.90 and r["snr_db"] >= 8 else 1)
PY
expect "$work/ptime40.wan" 0.90 8

echo "4b. in-band DTMF from the PBX reaches the browser as RFC 4733 events"
fctl xcode --worker 0 "$A" --from opus:111 --to pcmu:0 >/dev/null || fail "xcode A"
fctl xcode --worker 0 "$Bh" --from pcmu:0 --to opus:111 --to-dtmf 110 --opus-fec >/dev/null ||
  fail "xcode B with telephone-event"
nsx "$lan" "$peer" --local $P:5200 --remote $L:30100 --send pcmu:0 --recv pcmu:0 \
  --signal "dtmf:159#*0" --seconds 2 >"$work/dtmf.lan" &
lp=$!
nsx "$wan" "$peer" --local $B:5100 --remote $W:20100 --send opus:111 --recv opus:111 \
  --events-pt 110 --seconds 2 >"$work/dtmf.wan" || fail "dtmf: wan peer"
wait "$lp" || fail "dtmf: lan peer"
echo "  at the browser: $(cat "$work/dtmf.wan")"
/usr/bin/python3 - "$work/dtmf.wan" <<'PY' || fail "DTMF tones did not arrive as events: $(cat "$work/dtmf.wan")"
import json, sys
r = json.load(open(sys.argv[1]))
# Each key once, in order, each ended by three E-bit packets (RFC 4733 2.5.1.4).
sys.exit(0 if r["events"] == "159#*0" and r["event_ends"] == 18 else 1)
PY
inband=$(metric 'rampart_xc_dtmf_events_total\{.*method="inband"')
[ "$inband" = 6 ] || fail "rampart_xc_dtmf_events_total{method=inband} is $inband, not 6"

echo "5. the transcoder killed: relayed media goes on, transcoded media is a counted drop"
R1=$(fctl add --worker 0 --in-port 0 --in-local $W:20200 --in-remote $B:5300 --out-port 1 \
       --out-local $L:30200 --out-remote $P:5400 --cookie 3) || fail "FlowAdd relay"
kill -KILL "$xc_pid"
wait "$xc_pid" 2>/dev/null || true
before=$(metric 'reason="xcode_full"')
nsx "$lan" "$tool" recv --bind $P:5400 --expect 1500 --timeout-ms 8000 >"$work/relay.out" &
rp=$!
sleep 0.3
# Enough transcoded packets to fill the dead transcoder's ring (1024 slots) and more.
nsx "$wan" "$peer" --local $B:5100 --remote $W:20100 --send opus:111 --recv opus:111 \
  --seconds 1 >/dev/null &
tp=$!
nsx "$wan" "$tool" send --from $B:5300 --to $W:20200 --count 1500 --interval-us 1000 >/dev/null
wait "$rp" || fail "relayed call lost packets with the transcoder dead: $(cat "$work/relay.out")"
wait "$tp" || true
nsx "$wan" "$tool" send --from $B:5100 --to $W:20100 --count 1500 --interval-us 200 >/dev/null
after=$(metric 'reason="xcode_full"')
echo "  relay: $(cat "$work/relay.out"); xcode_full drops $before -> $after"
[ "$after" -gt "$before" ] || fail "transcoded packets to a dead transcoder not counted: $(nsx "$sbc" curl -sf "http://127.0.0.1:$mport/metrics" | grep -E "drops_total.* [1-9]|xcode|rx_packets")"
kill -0 "$dp_pid" || fail "dataplane died"
echo "PASS"
