#!/usr/bin/env bash
# INVITE-to-first-media through Rampart for tools/bench-dtls (prints figures; not a test): N
# browser-style calls one after another in a lab of its own (prefix rwq), each a WSS INVITE
# with rampart-webrtc-peer's offer to the PBX echo -> 200 -> ICE check -> DTLS handshake ->
# SRTP -> relayed as RTP to the PBX and back. Per call: from the UA sending the INVITE to the
# peer's first decrypted packet back (the peer is started first and waits for the answer, so
# process start-up is not counted; there is no candidate gathering). Root only.
# usage: webpeer_bench.sh SRC DATAPLANE CONTROLPLANE WEBRTC_PEER [CALLS, default 100]
set -euo pipefail
src=$(cd "$1" && pwd)
dp=$2
cp=$3
wpeer=$4
calls=${5:-100}
[ "$(id -u)" = 0 ] || { echo "invite_to_media: needs root (lab namespaces)"; exit 77; }
prefix="rwq$(( $$ % 100000 ))-"
work=$(mktemp -d "/tmp/rwq-$$-XXXX")
# shellcheck source=../sip/sip_lib.sh
. "$src/tests/integration/sip/sip_lib.sh"
# shellcheck source=../sip/wss_lib.sh
. "$src/tests/integration/sip/wss_lib.sh"
# shellcheck source=webpeer_lib.sh
. "$src/tests/integration/webrtc/webpeer_lib.sh"
config=$work/rampart.yaml
wp_config "$config"
wss_start
good=$(token good alice)
: >"$work/samples"
failed=0
for i in $(seq 1 "$calls"); do
  port=$((42000 + (i % 200) * 4))
  if wp_call "c$i" "$port" 0.5 --timeout 10; then
    inv=$(wss_report "c$i" | jq .invite_unix_ms)
    first=$(jq .first_media_unix_ms "$work/c$i.peer.json")
    echo "$((first - inv))" >>"$work/samples"
  else
    failed=$((failed + 1))
  fi
  rm -rf "$work/id_c$i"
done
sort -n "$work/samples" | awk -v failed="$failed" '
  { v[NR] = $1 }
  END {
    if (NR == 0) { print "invite_to_media: no call completed"; print "invite_to_media_ms_p50=n/a"; exit }
    p50 = v[int((NR + 1) / 2)]; i99 = int(NR * 0.99 + 0.999); if (i99 > NR) i99 = NR
    printf "INVITE to first media relayed back (WSS INVITE -> 200 -> ICE -> DTLS -> SRTP -> PBX echo -> back), %d calls (%d failed)\n", NR, failed
    printf "  median %d ms, p99 %d ms, min %d ms, max %d ms\n", p50, v[i99], v[1], v[NR]
    printf "invite_to_media_ms_p50=%d\n", p50
  }'
