#!/usr/bin/env bash
# Browser-style calls through Rampart without a browser: the scripted WSS UA (wss_client.py)
# sends rampart-webrtc-peer's Chrome-like offer (UDP/TLS/RTP/SAVPF, a=fingerprint, actpass,
# ICE credentials) to the lab PBX's echo (600) over WSS; rampart-webrtc-peer does the ICE check
# (controlling, USE-CANDIDATE), the DTLS handshake and SRTP media; the PBX side sees plain RTP
# from Rampart's lan media address and echoes it back.
#  a. one call per SRTP profile (SRTP_AES128_CM_SHA1_80, SRTP_AEAD_AES_128_GCM,
#     SRTP_AEAD_AES_256_GCM): negotiated profile, media both ways, RTP on the lan wire,
#     rampart_cp_dtls_handshakes_total{outcome="ok",profile=...} +1.
#  a2. the peer offers a=setup:passive: Rampart answers active and is the DTLS client (its first
#     flight waits for the ICE-selected address); media both ways.
#  b. fingerprint mismatch (the peer handshakes with another certificate than its SDP's): no
#     media, the call ended by Rampart (BYE), {outcome="fingerprint_mismatch"} +1.
#  c. while a legitimate call runs: a second call whose peer sends garbage DTLS records, replays
#     its handshake records and STUN with a bad MESSAGE-INTEGRITY / an unknown ufrag on its own
#     5-tuple; a stranger's ClientHello to a port with no call; a stranger's STUN with bad
#     integrity, an unknown ufrag, and a flood of 2000 checks to the legitimate call's port:
#     no responses, the drops counted, both processes up, the legitimate call's media unbroken.
#  d. the per-realm keying switch: an SDES-only WebRTC offer (RTP/SAVPF + a=crypto, ICE, no
#     fingerprint) to the DTLS-enabled realm is answered with SDES (no fingerprint), ICE and
#     SRTP media both ways, no DTLS handshake; then with `sdp: {dtls: false}` on the realm
#     (control plane restarted): the SDES offer is served the same way and a DTLS-only offer
#     gets 488.
# Needs root (namespaces, shared memory), kamailio, sipp, tcpdump, jq, python3-websockets/-jwt/
# -yaml and the lab TLS files (tools/bootstrap). About 60 s.
# usage: webpeer_test.sh SRC DATAPLANE CONTROLPLANE WEBRTC_PEER
set -euo pipefail
src=$(cd "$1" && pwd)
dp=$2
cp=$3
wpeer=$4
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root (network namespaces, shared memory)"
  exit 77
fi
for tool in kamailio sipp tcpdump kamcmd jq; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
/usr/bin/python3 -c 'import websockets, jwt, yaml' 2>/dev/null ||
  { echo "SKIP: /usr/bin/python3 lacks websockets/jwt/yaml"; exit 77; }
[ -r "$src/etc/lab-certs/jwt-hs256.key" ] && [ -r "$src/etc/lab-certs/wss.crt" ] ||
  { echo "SKIP: etc/lab-certs missing (tools/bootstrap)"; exit 77; }

prefix="rwp$(( $$ % 100000 ))-"
work=$(mktemp -d "/tmp/rwp-$$-XXXX")
# shellcheck source=../sip/sip_lib.sh
. "$src/tests/integration/sip/sip_lib.sh"
# shellcheck source=../sip/wss_lib.sh
. "$src/tests/integration/sip/wss_lib.sh"
# shellcheck source=webpeer_lib.sh
. "$src/tests/integration/webrtc/webpeer_lib.sh"
t_start=$SECONDS
step() { echo "[$((SECONDS - t_start))s] $*"; }

config=$work/rampart.yaml
wp_config "$config"
wss_start
good=$(token good alice)
nsx "$wan" ip addr add 198.18.2.3/24 dev wan-med  # the stranger
hs() { cpm "rampart_cp_dtls_handshakes_total\\{outcome=\"$1\",profile=\"$2\"\\}"; }

# --- a -----------------------------------------------------------------------------------------
step "a. one call per SRTP profile"
port=41000
for profile in SRTP_AES128_CM_SHA1_80 SRTP_AEAD_AES_128_GCM SRTP_AEAD_AES_256_GCM; do
  ok0=$(hs ok "$profile")
  sip_capture_start "$lan" lan-med "lan_$profile" 30 "udp and src host 198.18.4.1"
  wp_call "$profile" "$port" 3 --profiles "$profile" || true
  sip_capture_stop "lan_$profile"
  r=$work/$profile.peer.json
  [ "$(jq -r .ok "$r")" = true ] || fail "$profile: $(cat "$r")"
  [ "$(jq -r .profile "$r")" = "$profile" ] || fail "$profile: negotiated $(jq -r .profile "$r")"
  [ "$(jq -r .peer_fingerprint_ok "$r")" = true ] || fail "$profile: Rampart's certificate does not match its SDP"
  recv=$(jq .received "$r")
  [ "$recv" -ge 100 ] && [ "$(jq .auth_failed "$r")" = 0 ] || fail "$profile: media back: $(cat "$r")"
  lan_rtp=$(sip_count "lan_$profile" "udp")
  [ "$lan_rtp" -ge 100 ] || fail "$profile: $lan_rtp RTP packets from Rampart on the lan wire"
  [ "$(( $(hs ok "$profile") - ok0 ))" = 1 ] || fail "$profile: handshakes{ok} not counted"
  echo "   $profile: ICE $(jq .ice_ms "$r") ms, DTLS $(jq -r .dtls_version "$r") as $(jq -r .dtls_role "$r")" \
    "$(jq .dtls_ms "$r") ms; sent $(jq .sent "$r"), received $recv (first $(( $(jq .first_media_unix_ms "$r") - $(jq_of_ua "$profile" .invite_unix_ms) )) ms after the INVITE)" \
    "; $lan_rtp RTP packets to the PBX on the lan wire"
  port=$((port + 10))
done

step "a2. Rampart as the DTLS client"
wp_setup=passive wp_call client_role "$port" 3 || true
r=$work/client_role.peer.json
grep -q '^a=setup:active' "$work/client_role.answer" || fail "Rampart did not answer setup:active"
[ "$(jq -r .ok "$r")" = true ] && [ "$(jq -r .dtls_role "$r")" = server ] || fail "client role: $(cat "$r")"
[ "$(jq .received "$r")" -ge 100 ] && [ "$(jq .auth_failed "$r")" = 0 ] || fail "client role: media back: $(cat "$r")"
echo "   Rampart DTLS client: $(jq -r .dtls_version "$r") $(jq -r .profile "$r") in $(jq .dtls_ms "$r") ms;" \
  "sent $(jq .sent "$r"), received $(jq .received "$r")"
port=$((port + 10))

# --- b -----------------------------------------------------------------------------------------
step "b. fingerprint mismatch"
fm0=$(hs fingerprint_mismatch none)
wp_call mismatch "$port" 2 --wrong-cert --timeout 6 || true
r=$work/mismatch.peer.json
[ "$(jq ".received // 0" "$r")" = 0 ] || fail "media with a wrong certificate: $(cat "$r")"
[ "$(jq_of_ua mismatch .bye)" = received ] || fail "Rampart did not end the call: $(wss_report mismatch)"
[ "$(( $(hs fingerprint_mismatch none) - fm0 ))" = 1 ] || fail "handshakes{fingerprint_mismatch} not counted"
echo "   peer: dtls_ok $(jq .dtls_ok "$r"), $(jq -r .error "$r"); call ended by Rampart's BYE;" \
  "handshakes{fingerprint_mismatch} +1"
port=$((port + 10))

# --- c -----------------------------------------------------------------------------------------
step "c. hostile traffic beside a legitimate call"
dpm_dump 'rampart_dp_ice_checks_total|rampart_dp_drops_total|rampart_cp_dtls_records_dropped_total' >"$work/counters.before"
dp_drop0=$(dpm 'rampart_dp_drops_total')
ice0=$(dpm 'rampart_dp_ice_checks_total')
ice_ok0=$(dpm 'rampart_dp_ice_checks_total\{[^}]*outcome="(ok|success)"')
cpd0=$(cpm 'rampart_cp_dtls_records_dropped_total')
wp_call_bg legit "$port" 12
port=$((port + 10))
wp_wait_answer legit 15
a_port=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$work/legit.answer" | tr -d '\r')
sleep 1
wp_call bad "$port" 4 --misbehave garbage,replay,bad-stun || true
r=$work/bad.peer.json
[ "$(jq .bad_stun_responses "$r")" = 0 ] || fail "bad STUN on the call's 5-tuple answered: $(cat "$r")"
[ "$(jq .received_after_misbehave "$r")" -ge 50 ] ||
  fail "the misbehaving call's media stopped after its garbage/replays: $(cat "$r")"
echo "   own 5-tuple: $(jq .replayed_datagrams "$r") replayed handshake datagrams, 50 garbage records," \
  "$(jq .bad_stun_sent "$r") bad checks ($(jq .bad_stun_responses "$r") answered);" \
  "$(jq .received_after_misbehave "$r") packets received after them"
wp_probe ch client-hello "198.18.2.1:$((a_port + 500))" --count 5
wp_probe badint bad-integrity "198.18.2.1:$a_port" --answer "$work/legit.answer" --count 50
wp_probe unk unknown-ufrag "198.18.2.1:$a_port" --answer "$work/legit.answer" --count 50
wp_probe flood stun-flood "198.18.2.1:$a_port" --count 2000
wp_probe garbage garbage "198.18.2.1:$a_port" --count 200
wp_wait legit 30 || true
wss_alive
r=$work/legit.peer.json
# 12 s at 50 packets/s: nothing of the legitimate call may be lost to the hostile traffic beyond
# the usual (allow 5%).
[ "$(jq -r .ok "$r")" = true ] && [ "$(jq .received "$r")" -ge 570 ] && [ "$(jq .auth_failed "$r")" = 0 ] ||
  fail "the legitimate call's media suffered: $(cat "$r")"
ice_d=$(( $(dpm 'rampart_dp_ice_checks_total') - ice0 ))
ice_ok_d=$(( $(dpm 'rampart_dp_ice_checks_total\{[^}]*outcome="(ok|success)"') - ice_ok0 ))
drop_d=$(( $(dpm 'rampart_dp_drops_total') - dp_drop0 ))
cpd_d=$(( $(cpm 'rampart_cp_dtls_records_dropped_total') - cpd0 ))
dpm_dump 'rampart_dp_ice_checks_total|rampart_dp_drops_total|rampart_cp_dtls_records_dropped_total' >"$work/counters.after"
# Counter movements by label (printed for the record).
awk 'NR == FNR {b[$1] = $2; next} $2 - b[$1] > 0 {printf "   %s +%d\n", $1, $2 - b[$1]}' \
  "$work/counters.before" "$work/counters.after"
# 2100 refused checks from the stranger (+20 on the misbehaving call's 5-tuple), dropped by the
# dataplane as ICE failures or drops; the kernel's socket rings may lose some of a flood.
[ "$((ice_d - ice_ok_d + drop_d))" -ge 1500 ] ||
  fail "refused STUN checks counted $((ice_d - ice_ok_d)) (+ drops $drop_d), expected >= 1500 of 2120"
[ "$((drop_d + cpd_d))" -ge 200 ] || fail "garbage/ClientHello drops counted $drop_d (dp) + $cpd_d (cp)"
echo "   stranger: ClientHello to a port without a call $(wp_resp ch) responses; bad integrity" \
  "$(wp_resp badint), unknown ufrag $(wp_resp unk), flood of 2000 $(wp_resp flood), garbage $(wp_resp garbage) responses"
echo "   counted: ICE checks +$ice_d (+$ice_ok_d ok), dataplane drops +$drop_d, control-plane DTLS drops +$cpd_d"
echo "   legitimate call: sent $(jq .sent "$r"), received $(jq .received "$r"), auth failures 0; both processes up"
dpm_dump 'rampart_dp_ice_checks_total|rampart_dp_drops_total|rampart_cp_dtls' >"$work/counters.txt"

# --- d -----------------------------------------------------------------------------------------
step "d. SDES toward browsers: DTLS-enabled realm, then DTLS-disabled realm"
hs_all() { cpm 'rampart_cp_dtls_handshakes_total'; }
sdes_call() {  # NAME PORT: an SDES-only peer's call must be served with SDES, media both ways
  local name=$1 r=$work/$1.peer.json a=$work/$1.answer
  sip_capture_start "$lan" lan-med "lan_$name" 20 "udp and src host 198.18.4.1"
  wp_keying=sdes wp_call "$name" "$2" 3 || true
  sip_capture_stop "lan_$name"
  [ "$(jq -r .ok "$r")" = true ] || fail "$name: $(cat "$r")"
  grep -q '^m=audio [0-9]* RTP/SAVPF ' "$a" || fail "$name: answer is not RTP/SAVPF: $(cat "$a")"
  grep -q '^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:' "$a" || fail "$name: no a=crypto in the answer"
  ! grep -q '^a=fingerprint' "$a" || fail "$name: the SDES answer carries a fingerprint"
  [ "$(jq .received "$r")" -ge 100 ] && [ "$(jq .auth_failed "$r")" = 0 ] || fail "$name: media back: $(cat "$r")"
  [ "$(sip_count "lan_$name" udp)" -ge 100 ] || fail "$name: no RTP toward the PBX"
  echo "   $name: ICE $(jq .ice_ms "$r") ms, SDES $(jq -r .profile "$r"); sent $(jq .sent "$r")," \
    "received $(jq .received "$r"); $(sip_count "lan_$name" udp) RTP packets to the PBX"
}
hs0=$(hs_all)
sdes_call sdes_dtls_realm "$port"
port=$((port + 10))
[ "$(hs_all)" = "$hs0" ] || fail "a DTLS handshake was counted for an SDES call"
"$py" - "$config" "$work/nodtls.yaml" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
for r in c["realms"]:
    if r["name"] == "wan":
        r.setdefault("sdp", {})["dtls"] = False
yaml.safe_dump(c, open(sys.argv[2], "w"), default_flow_style=None, sort_keys=False)
PY
wss_cp_restart "$work/nodtls.yaml"
sdes_call sdes_nodtls_realm "$port"
port=$((port + 10))
_wp_start dtls_nodtls_realm "$port"  # the INVITE only: no answer is expected
wss_wait dtls_nodtls_realm 15
[ "$(jq_of_ua dtls_nodtls_realm '.invite[-1]')" = 488 ] ||
  fail "DTLS-only offer to a DTLS-disabled realm: $(wss_report dtls_nodtls_realm)"
echo "   DTLS-only offer to the DTLS-disabled realm: $(jq_of_ua dtls_nodtls_realm '.invite[-1]')" \
  "$(jq_of_ua dtls_nodtls_realm '.invite_reason')"
step "PASS"
