#!/usr/bin/env bash
# ICE-lite through the real rampart-dataplane in namespaces of its own (tools/lab shape,
# prefix rdi<pid>-), flows programmed with rampart-flowctl (add --ice-remote --await-keys, ice)
# and dp_tool (modify, events), a browser's checks hand-made by stun_peer.py:
#  1. a nominating check is answered (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT
#     verified by the client) and IceSelected names the browser's address; the consent
#     timeout (2 s) then reports ConsentExpired;
#  2. media before the keys is held (await_keys), after the modify it flows both ways between
#     the selected browser address and the PBX;
#  3. a flood of checks with an unknown ufrag or a bad password from another source gets no
#     answer, is counted, and moves nothing; the media keeps flowing;
#  4. a new valid check re-arms consent: a second ConsentExpired after the next silence.
# usage: ice_test.sh DATAPLANE_BIN DP_TOOL FLOWCTL SOURCE_DIR
set -euo pipefail
dp=$1
tool=$2
flowctl=$3
src=$4
prefix="rdi$(( $$ % 100000 ))-"
shm="/rdi-$$-ice"
mport=$((20000 + ($$ + 7) % 20000))
work=$(mktemp -d /tmp/rdi-$$-XXXX)
# shellcheck source=lab_lib.sh
. "$(dirname "$0")/lab_lib.sh"
peer=(/usr/bin/python3 "$(dirname "$0")/stun_peer.py")
fctl() { nsx "$sbc" "$flowctl" --shm "$shm" "$@"; }

W=198.18.2.1; B=198.18.2.2; L=198.18.4.1; P=198.18.4.2
UFRAG=rAmP; PWD=rampartIcePassword1234; RUFRAG=brWs

lab_start
# A: browser -> PBX (remote chosen by ICE), B: PBX -> browser (out_remote chosen by ICE).
A=$(fctl add --worker 0 --in-port 0 --in-local $W:20100 --in-remote 0.0.0.0:0 --ice-remote \
      --await-keys --rtcp-mux-in --out-port 1 --out-local $L:30100 --out-remote $P:30100 \
      --cookie 101) || fail "FlowAdd A"
Bh=$(fctl add --worker 0 --in-port 1 --in-local $L:30100 --in-remote $P:30100 --await-keys \
       --rtcp-mux-in --out-port 0 --out-local $W:20100 --out-remote 0.0.0.0:0 --ice-remote \
       --cookie 102) || fail "FlowAdd B"
fctl ice --worker 0 "$A" --local-ufrag $UFRAG --local-pwd $PWD --remote-ufrag $RUFRAG \
  --paired "$Bh" --consent-timeout 2 >/dev/null || fail "FlowIce"

# events_during SECONDS: listens for events in the background (an attaching client drops what
# was queued before its handshake), so start it before what causes them; wait_events sets $ev.
events_during() {
  ctl events "$1" >"$work/events.out" 2>"$work/events.err" &
  ev_pid=$!
  sleep 0.5
}
wait_events() {  # not in $(...): a subshell cannot wait for our child
  wait "$ev_pid" || fail "events listener: $(cat "$work/events.err")"
  ev=$(cat "$work/events.out")
}

echo "1. a nominating check is answered and selects the browser's address"
events_during 6
r=$(nsx "$wan" "${peer[@]}" check --bind $B:5100 --to $W:20100 --user $UFRAG:$RUFRAG \
      --pwd $PWD --use-candidate) || fail "check not answered: $r"
[ "$r" = "success mapped=$B:5100" ] || fail "answer: $r"
wait_events
grep -q "event=IceSelected flow=$A remote=$B:5100" <<<"$ev" || fail "no IceSelected: $ev"
grep -q "event=ConsentExpired flow=$A silent_s=" <<<"$ev" || fail "no ConsentExpired: $ev"
[ "$(grep -c IceSelected <<<"$ev")" = 1 ] || fail "IceSelected more than once: $ev"
[ "$(metric 'rampart_dp_ice_checks_total.*outcome="nominated"')" -ge 1 ] || fail "nominated not counted"
[ "$(metric 'rampart_dp_ice_consent_expired_total')" -ge 1 ] || fail "consent expiry not counted"

echo "2. media held until the keys, then both ways through the selected address"
nsx "$lan" "$tool" recv --bind $P:30100 --expect 1 --timeout-ms 800 >"$work/held.out" &
held=$!
sleep 0.2
nsx "$wan" "$tool" send --from $B:5100 --to $W:20100 --count 5 --interval-us 0 >/dev/null
if wait $held; then fail "media forwarded before the keys"; fi
[ "$(metric 'reason="await_keys"')" -ge 5 ] || fail "held media not counted"
ctl add modify="$A" in_port=0 in_local=$W in_lport=20100 out_port=1 out_local=$L \
  out_lport=30100 out_remote=$P out_rport=30100 mux=1 >/dev/null || fail "FlowModify A"
ctl add modify="$Bh" in_port=1 in_local=$L in_lport=30100 in_remote=$P in_rport=30100 \
  out_port=0 out_local=$W out_lport=20100 out_remote=0.0.0.0 out_rport=0 mux=1 >/dev/null ||
  fail "FlowModify B"
nsx "$lan" "$tool" recv --bind $P:30100 --expect 20 --timeout-ms 4000 >"$work/up.out" &
rp=$!
sleep 0.2
nsx "$wan" "$tool" send --from $B:5100 --to $W:20100 --count 20 --interval-us 1000 >/dev/null
wait $rp || fail "browser -> PBX: $(cat "$work/up.out")"
grep -q "tos=184" "$work/up.out" || fail "DSCP: $(cat "$work/up.out")"
nsx "$wan" "$tool" recv --bind $B:5100 --expect 20 --timeout-ms 4000 >"$work/down.out" &
rp=$!
sleep 0.2
nsx "$lan" "$tool" send --from $P:30100 --to $L:30100 --count 20 --interval-us 1000 >/dev/null
wait $rp || fail "PBX -> browser: $(cat "$work/down.out")"

echo "3. a flood of unauthenticated checks: no answer, counted, nothing moves"
before=$(metric 'reason="ice_unauthenticated"')
nsx "$lan" "$tool" recv --bind $P:30100 --expect 100 --timeout-ms 8000 >"$work/legit.out" &
legit=$!
bg_pids+=($legit)
sleep 0.2
nsx "$wan" "$tool" send --from $B:5100 --to $W:20100 --count 100 --interval-us 20000 \
  --first-seq 500 >/dev/null &
bg_pids+=($!)
r=$(nsx "$wan" "${peer[@]}" flood --bind $B:7777 --to $W:20100 --user nope:$RUFRAG --pwd $PWD \
      --count 300)
[ "$r" = "replies=0" ] || fail "unknown ufrag answered: $r"
r=$(nsx "$wan" "${peer[@]}" flood --bind $B:7778 --to $W:20100 --user $UFRAG:$RUFRAG \
      --pwd wrongPasswordWrongPassword --count 100)
[ "$r" = "replies=0" ] || fail "bad integrity answered: $r"
wait "$legit" || fail "legitimate media disturbed by the flood: $(cat "$work/legit.out")"
kill -0 "$dp_pid" || fail "dataplane died"
[ "$(metric 'reason="ice_unauthenticated"')" -ge $((before + 400)) ] || fail "flood not counted"
[ "$(metric 'rampart_dp_ice_checks_total.*outcome="unknown_ufrag"')" -ge 300 ] ||
  fail "unknown_ufrag outcome"
[ "$(metric 'rampart_dp_ice_checks_total.*outcome="bad_integrity"')" -ge 100 ] ||
  fail "bad_integrity outcome"
[ "$(metric 'rampart_dp_ice_selected_total')" = 1 ] || fail "the flood moved the remote"
fctl query --worker 0 "$A" | grep -q "5100" || fail "remote moved: $(fctl query --worker 0 "$A")"

echo "4. a valid check re-arms consent"
events_during 6
r=$(nsx "$wan" "${peer[@]}" check --bind $B:5100 --to $W:20100 --user $UFRAG:$RUFRAG \
      --pwd $PWD) || fail "keepalive check: $r"
wait_events
grep -q "event=ConsentExpired flow=$A" <<<"$ev" || fail "no second ConsentExpired: $ev"
[ "$(metric 'rampart_dp_ice_consent_expired_total')" -ge 2 ] || fail "second expiry not counted"
echo "PASS"
