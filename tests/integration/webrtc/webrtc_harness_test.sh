#!/usr/bin/env bash
# Proves the browser harness of webrtc_test.sh without Rampart: two tabs of the lab softphone
# (tools/softphone) in Debian's headless Chromium call each other through a stand-in SIP-over-WSS
# relay (ws_relay.py), with WebRTC media browser to browser on loopback in a namespace of its own
# (prefix rwh). Every driver check that webrtc_test.sh applies to Rampart passes here against a
# peer that is Chromium itself: REGISTER, answer, ICE, DTLS with an SRTP profile, media both ways,
# DTMF, mute, ICE restart (new ufrag both sides), BYE seen from both sides, two concurrent calls,
# and a munged fingerprint giving a failed call with no media. So when webrtc_test.sh fails at a
# media step, Rampart is the suspect, not the page or the driver. About 40 s.
# usage: webrtc_harness_test.sh SRC SOFTPHONE_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
softphone=$2
# shellcheck source=webrtc_lib.sh
. "$src/tests/integration/webrtc/webrtc_lib.sh"
webrtc_require "$softphone" node
certs=$src/etc/lab-certs

ns="rwh$(( $$ % 100000 ))"
work=$(mktemp -d "/tmp/rwh-$$-XXXX")
pids=()
failed=""
fail() {
  failed=1
  echo "FAIL: $*" >&2
  exit 1
}
cleanup() {
  local p
  drv_stop
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    local left=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  ip netns delete "$ns" 2>/dev/null || true
  if [ -n "$failed" ]; then
    echo "--- browser driver log (tail)" >&2; tail -n 30 "$work/driver.err" >&2 2>/dev/null || true
    echo "--- relay log (tail)" >&2; tail -n 10 "$work/relay.log" >&2 2>/dev/null || true
  fi
  if [ "${SIP_KEEP_WORK:-0}" = 1 ]; then echo "work files kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
t_start=$SECONDS
step() { echo "[$((SECONDS - t_start))s] $*"; }

ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" /usr/bin/python3 "$src/tests/integration/webrtc/ws_relay.py" --address 127.0.0.1 \
  --port 8443 --cert "$certs/wss.crt" --key "$certs/wss.key" --ready-file "$work/relay.url" \
  >"$work/relay.log" 2>&1 &
pids+=($!)
printf 'alice x\nbob x\n' >"$work/users.txt"
ip netns exec "$ns" /usr/bin/python3 "$src/tools/softphone/server.py" --config "$src/etc/rampart.yaml" \
  --root "$softphone" --address 127.0.0.1 --port 8444 --wss wss://127.0.0.1:8443/ \
  --cert "$certs/wss.crt" --key "$certs/wss.key" --users-file "$work/users.txt" \
  --ready-file "$work/softphone.url" >"$work/softphone.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/relay.url" ] && [ -s "$work/softphone.url" ] && break; sleep 0.1; done
[ -s "$work/relay.url" ] || fail "relay did not start: $(cat "$work/relay.log")"
[ -s "$work/softphone.url" ] || fail "softphone server did not start: $(cat "$work/softphone.log")"

drv_ns=$ns
PAGE_URL=https://127.0.0.1:8444/
DRV_LOOPBACK=1  # the two tabs' media meet on 127.0.0.1
step "1. two tabs load the page and register (relay answers 200)"
drv_start
must 40 open alice
must 20 register alice alice x
must 40 open bob
must 20 register bob bob x

step "2. alice calls bob; bob's page answers; ICE, DTLS, media both ways, DTMF, mute"
must 5 call alice a1 bob
must 15 incoming bob b1 10
must 15 answered a1 10
must 15 ice a1 10
must 15 dtls a1 10
must 15 dtls b1 10
must 15 media a1 50 8
must 15 media b1 50 8
must 5 dtmf a1 12#
must 5 mute a1 on
must 5 mute a1 off

step "3. ICE restart from alice: new ufrag both sides, media keeps flowing"
must 20 restart a1
must 15 ice a1 10
must 15 media a1 50 8

step "4. BYE from alice: ended local on alice, remote on bob"
must 5 hangup a1
must 10 ended a1 local 5
must 10 ended b1 remote 5

step "5. two concurrent calls, hung up from the callee"
must 5 call alice a2 bob
must 15 incoming bob b2 10
must 5 call alice a3 bob
must 15 incoming bob b3 10
must 15 answered a2 10
must 15 answered a3 10
must 15 media a2 50 8
must 15 media a3 50 8
must 5 hangup b2
must 5 hangup b3
must 10 ended a2 remote 5
must 10 ended a3 remote 5

step "6. munged fingerprint in alice's offer: bob's DTLS fails, no media, call ended by bob"
must 5 option alice hangupOnMediaFailure false
must 5 call alice bad bob local
must 15 incoming bob bbad 10
must 15 nomedia bad 6
must 20 ended bad remote 15
echo "PASS: webrtc_harness_test ($((SECONDS - t_start)) s)"
