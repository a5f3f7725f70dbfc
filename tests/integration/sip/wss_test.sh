#!/usr/bin/env bash
# The browser side of Rampart end to end, with a scripted SIP-over-WSS client (wss_client.py)
# against the real rampart-dataplane and rampart-controlplane in a lab of its own with the lab PBX:
#  a. REGISTER over WSS: the PBX's digest challenge relayed, 200; the PBX holds Rampart's lan
#     address as the contact; rampart_cp_registrations_active 1, back to 0 when the WebSocket closes.
#  b. WSS call to 600 (echo) with SDES-SRTP from rampart-media-peer: its own packets come back
#     verified (wan SRTP -> Rampart -> plain RTP to the PBX echo -> back, re-keyed); the lan wire
#     carries plain RTP from 198.18.4.1; DSCP EF on media both sides, AF31 on SIP (lan UDP, wan
#     WSS TCP segments).
#  c. Inbound: bob registered over WSS, a sipp UAC in the lan namespace calls bob through the PBX,
#     the WSS client answers; the call completes.
#  d. Refusals: token missing/expired/not yet valid/forged/wrong audience/alg none (401), wrong
#     subject (403 to REGISTER and INVITE), Origin not allowed (403), no `sip` subprotocol (400),
#     TLS 1.0/1.1, oversized message (close 1009), malformed SIP (400 with a reason), token scope
#     and expiry after the upgrade (403), the JWT leeway honoured after the upgrade as at it, a
#     message burst (close 1008); each counted; then a normal call completes, both processes run.
#  d2. A call whose WebSocket closes without BYE: Rampart hangs up the PBX side (BYE), call gone.
#  e. Connection liveness with short limits (control plane restarted): a silent client that answers
#     pings is closed for idleness (1001), one sending SIP every second is not, one that never
#     answers pings is closed for the missing pong, a TCP connection without TLS at the handshake
#     timeout; each counted.
# A Rampart bug found by a check is reported when found (bug) and fails the test at the end, so
# one run shows every case.
# Needs root (namespaces, shared memory) and kamailio, sipp, tcpdump, jq, Debian's python3 with
# python3-websockets/-jwt/-yaml, the lab TLS files and JWT secret (tools/bootstrap).
# usage: wss_test.sh SRC DATAPLANE CONTROLPLANE MEDIA_PEER
set -euo pipefail
src=$(cd "$1" && pwd)
dp=$2
cp=$3
mpeer=$4
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

prefix="rws$(( $$ % 100000 ))-"
work=$(mktemp -d "/tmp/rws-$$-XXXX")
# shellcheck source=sip_lib.sh
. "$src/tests/integration/sip/sip_lib.sh"
# shellcheck source=wss_lib.sh
. "$src/tests/integration/sip/wss_lib.sh"
S=$sip_dir
PBX=198.18.3.2:5060
t_start=$SECONDS
step() { echo "[$((SECONDS - t_start))s] $*"; }

config=$work/rampart.yaml
wss_config "$config"
wss_start
# A caller in the PBX's network that is not the PBX: the sipp UAC of case c.
nsx "$lan" ip addr add 198.18.3.20/24 dev lan-sig
nsx "$lan" ip addr add 198.18.4.20/24 dev lan-med
good_alice=$(token good alice)
good_bob=$(token good bob)
pw_alice=$(sip_password alice)
pw_bob=$(sip_password bob)
ua() { echo ua --url "$WSS_URL" --origin "$WSS_ORIGIN" --trace "$work/sip-trace.txt" "$@"; }
# A Rampart bug found by a check: reported now, the test goes on and fails at the end.
bugs=()
bug() { echo "   BUG: $*" >&2; bugs+=("$*"); }
jq_of() { wss_report "$1" | jq -r "$2"; }

# --- a -----------------------------------------------------------------------------------------
step "a. REGISTER alice over WSS (digest challenge relayed), binding dropped with the connection"
# shellcheck disable=SC2046
wss_bg reg_alice $(ua --token "$good_alice" --user alice --password "$pw_alice" --register \
  --until-file "$work/reg_alice.stop" --max-hold 20)
wss_wait_event reg_alice registered 10
contacts=$(sip_registered alice)
grep -q '198\.18\.3\.1' <<<"$contacts" || fail "the PBX's contact for alice is not Rampart's lan address: $contacts"
[ "$(cpm rampart_cp_registrations_active)" = 1 ] ||
  fail "rampart_cp_registrations_active $(cpm rampart_cp_registrations_active), expected 1"
[ "$(cpm 'rampart_cp_connections_active\{realm="wan"')" = 1 ] ||
  fail "rampart_cp_connections_active{wan} is not 1"
touch "$work/reg_alice.stop"
wss_wait reg_alice 10
[ "$(jq_of reg_alice '.register | map(tostring) | join(",")')" = "401,200" ] ||
  fail "REGISTER statuses: $(wss_report reg_alice)"
for _ in $(seq 1 50); do [ "$(cpm rampart_cp_registrations_active)" = 0 ] && break; sleep 0.1; done
[ "$(cpm rampart_cp_registrations_active)" = 0 ] ||
  fail "binding not dropped when the WebSocket closed: registrations_active $(cpm rampart_cp_registrations_active)"
stale=$(sip_registered alice | tr '\n' ' ')
# The PBX keeps Rampart's contact for alice (Rampart does not unREGISTER upstream when the
# WebSocket goes); a call to alice must then fail at once instead of ringing nowhere.
sip_run_fail "$lan" call_alice_gone 10 -sf "$S/uac_call.xml" "$PBX" -s alice -au alice \
  -ap "$pw_alice" -i 198.18.3.20 -p 5091 -t u1 -mi 198.18.4.20 -mp 7010 -d 500 -m 1
gone=$(grep -E '^SIP/2.0 [3-6][0-9][0-9]' "$work/call_alice_gone.msg" | grep -v ' 407 ' | tail -n 1 | tr -d '\r')
echo "   REGISTER 401 -> 200; PBX contact: $contacts; gauge 1 -> 0 on close;" \
  "the PBX still lists [$stale]; a call to alice now gets: $gone"

# --- b -----------------------------------------------------------------------------------------
step "b. WSS call to 600 (echo) with SDES-SRTP media"
key=$(head -c 30 /dev/urandom | base64 -w0)
sip_capture_start "$wan" wan-med b_wan_med 40 "udp"
sip_capture_start "$wan" wan-sig b_wan_sig 40 "tcp port 8443"
sip_capture_start "$lan" lan-med b_lan_med 40 "udp"
sip_capture_start "$lan" lan-sig b_lan_sig 40 "port 5060"
# shellcheck disable=SC2046
wss_bg call_b $(ua --token "$good_alice" --user alice --call 600 --srtp --key "$key" \
  --media 198.18.2.2:40000 --hold-file "$work/call_b.stop" --max-hold 25)
wss_wait_event call_b answered 15
ans=$(grep '"event": "answered"' "$work/call_b.out")
a_addr=$(jq -r .answer.address <<<"$ans")
a_port=$(jq -r .answer.port <<<"$ans")
a_key=$(jq -r .answer.crypto_key <<<"$ans")
a_proto=$(jq -r .answer.proto <<<"$ans")
[ "$a_addr" = 198.18.2.1 ] || fail "answer address $a_addr, expected Rampart's wan media 198.18.2.1"
[ "$a_proto" = RTP/SAVP ] && [ "$a_key" != null ] || fail "answer is not SDES-SRTP: $ans"
timeout -k 2 20 ip netns exec "$wan" "$mpeer" --local 198.18.2.2:40000 --remote "$a_addr:$a_port" \
  --mode both --duration 3 --drain-ms 500 --srtp AES_CM_128_HMAC_SHA1_80 --send-key "$key" \
  --recv-key "$a_key" --quiet >"$work/media_b.json" 2>"$work/media_b.err" ||
  fail "rampart-media-peer failed: $(cat "$work/media_b.err")"
touch "$work/call_b.stop"
wss_wait call_b 10
sip_capture_stop b_wan_med
sip_capture_stop b_wan_sig
sip_capture_stop b_lan_med
sip_capture_stop b_lan_sig
[ "$(jq_of call_b '.invite[-1]')" = 200 ] || fail "INVITE: $(wss_report call_b)"
[ "$(jq_of call_b '.bye')" = 200 ] || fail "BYE: $(wss_report call_b)"
m=$work/media_b.json
sent=$(jq .sent.packets "$m")
got=$(jq .received.packets "$m")
bad=$(jq '.received | .auth_failed + .garbage + .srtp_errors + .wrong_stream + .stale' "$m")
echo "   media peer: sent $sent, received $got verified (lost $(jq .received.lost "$m"), bad $bad, tos $(jq -c .received.tos_seen "$m"))"
[ "$sent" -ge 100 ] || fail "media peer sent only $sent packets: $(cat "$m")"
[ "$got" -ge $((sent - 10)) ] || fail "echoed SRTP: received $got of $sent: $(cat "$m")"
[ "$bad" = 0 ] || fail "echoed SRTP with failures: $(cat "$m")"
[ "$(jq '.received.tos_seen["184"] // 0' "$m")" = "$got" ] ||
  fail "media into wan not all EF (TOS 0xb8): $(jq -c .received.tos_seen "$m")"
lan_rtp=$(sip_count b_lan_med "src host 198.18.4.1 and dst host 198.18.4.2 and udp")
wire_magic() {  # NAME FILTER: packets matching FILTER whose payload shows the media peer's magic
  tcpdump -n -A -r "$work/$1.pcap" "$2" 2>/dev/null | grep -c 'RMP1' || true
}
lan_plain=$(wire_magic b_lan_med "src host 198.18.4.1")
wan_plain=$(sip_grep_wire b_wan_med 'RMP1')
echo "   lan wire: $lan_rtp packets from 198.18.4.1, $lan_plain show the plain payload magic; wan wire: $wan_plain"
[ "$lan_rtp" -ge 100 ] || fail "only $lan_rtp RTP packets from 198.18.4.1 to the PBX"
[ "$lan_plain" -ge 100 ] || fail "RTP to the PBX is not plain ($lan_plain packets with the payload magic)"
[ "$wan_plain" = 0 ] || fail "$wan_plain packets on the wan media wire show the plain payload"
tos_wan_med=$(sip_tos b_wan_med "src host 198.18.2.1" | tr '\n' ' ')
tos_lan_med=$(sip_tos b_lan_med "src host 198.18.4.1" | tr '\n' ' ')
tos_lan_sig=$(sip_tos b_lan_sig "src host 198.18.3.1" | tr '\n' ' ')
data="(ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0"
tos_wan_sig=$(sip_tos b_wan_sig "src host 198.18.1.1 and src port 8443 and $data" | tr '\n' ' ')
tos_wan_syn=$(sip_tos b_wan_sig "src host 198.18.1.1 and src port 8443 and not ($data)" | tr '\n' ' ')
echo "   TOS: wan media [$tos_wan_med] lan media [$tos_lan_med] lan SIP [$tos_lan_sig] wan WSS data [$tos_wan_sig] (wan TCP without data [$tos_wan_syn])"
[ "$tos_wan_med" = "0xb8 " ] || fail "media to wan TOS [$tos_wan_med], expected 0xb8"
[ "$tos_lan_med" = "0xb8 " ] || fail "media to lan TOS [$tos_lan_med], expected 0xb8"
[ "$tos_lan_sig" = "0x68 " ] || fail "SIP to the PBX TOS [$tos_lan_sig], expected 0x68"
[ "$tos_wan_sig" = "0x68 " ] || fail "WSS segments TOS [$tos_wan_sig], expected 0x68"

# --- c -----------------------------------------------------------------------------------------
step "c. inbound call: sipp in the lan namespace calls bob (registered over WSS) through the PBX"
# shellcheck disable=SC2046
wss_bg bob $(ua --token "$good_bob" --user bob --password "$pw_bob" --register --answer \
  --answer-timeout 20 --media 198.18.2.2:40100 --max-runtime 40)
wss_wait_event bob registered 10
sip_bg "$lan" call_bob 30 -sf "$S/uac_call.xml" "$PBX" -s bob -au bob -ap "$pw_bob" \
  -i 198.18.3.20 -p 5090 -t u1 -mi 198.18.4.20 -mp 7000 -d 2500 -m 1
# The caller's PCMA (sipp's pcap) reaches bob as SRTP under the key Rampart offered him: it
# authenticates (auth_failed 0); its payload is not the media peer's own, hence "garbage".
wss_wait_event bob incoming 15
r_key=$(grep '"event": "incoming"' "$work/bob.out" | jq -r .offer.crypto_key)
b_key=$(grep '"event": "incoming"' "$work/bob.out" | jq -r .answer_key)
timeout -k 2 15 ip netns exec "$wan" "$mpeer" --local 198.18.2.2:40100 --mode recv --duration 2.5 \
  --drain-ms 200 --srtp AES_CM_128_HMAC_SHA1_80 --send-key "$b_key" --recv-key "$r_key" \
  --quiet >"$work/media_c.json" 2>"$work/media_c.err" ||
  fail "rampart-media-peer (bob) failed: $(cat "$work/media_c.err")"
sip_wait call_bob 30
wss_wait bob 15
c_dgrams=$(jq .received.datagrams "$work/media_c.json")
c_auth=$(jq .received.auth_failed "$work/media_c.json")
[ "$c_dgrams" -ge 50 ] && [ "$c_auth" = 0 ] ||
  fail "caller's media at bob: $(cat "$work/media_c.json")"
[ "$(jq_of bob '.incoming.acked')" = true ] || fail "the answer was not ACKed: $(wss_report bob)"
[ "$(jq_of bob '.incoming.bye_received')" = true ] || fail "no BYE reached bob: $(wss_report bob)"
echo "   bob: INVITE $(jq_of bob .incoming.ruri) ($(jq_of bob .incoming.offer.proto)) answered, ACKed, BYE received; sipp: ok;" \
  "$c_dgrams SRTP packets of the caller's audio authenticated at bob ($c_auth failed)"

# --- d -----------------------------------------------------------------------------------------
step "d. refusals"
declare -A before=()
for r in origin jwt subprotocol tls_handshake oversize bad_request; do before[r_$r]=$(refused "$r"); done
for r in missing expired not_yet_valid bad_signature wrong_audience alg_refused; do
  before[j_$r]=$(jwt_rejected "$r"); done
probe() {  # NAME ARGS...: a probe connection from the wan namespace
  local name=$1
  shift
  wss_run "$name" 15 probe --url "$WSS_URL" "$@"
}
expect_http() {  # NAME STATUS
  local got
  got=$(jq -r .http_status "$work/$1.out")
  [ "$got" = "$2" ] || fail "$1: HTTP $got, expected $2: $(cat "$work/$1.out")"
  echo "   $1: HTTP $got"
}
probe p_missing --origin "$WSS_ORIGIN" --options; expect_http p_missing 401
for k in expired nbf forged aud none; do
  probe "p_$k" --origin "$WSS_ORIGIN" --token "$(token "$k")" --options; expect_http "p_$k" 401
done
probe p_origin --origin https://evil.example --token "$good_alice" --options; expect_http p_origin 403
probe p_noorigin --token "$good_alice" --options; expect_http p_noorigin 403
probe p_subproto --origin "$WSS_ORIGIN" --token "$good_alice" --no-subprotocol --options
expect_http p_subproto 400
probe p_ok --origin "$WSS_ORIGIN" --token "$good_alice" --options; expect_http p_ok 101
grep -q '"response": "SIP/2.0 200' "$work/p_ok.out" || fail "OPTIONS over WSS: $(cat "$work/p_ok.out")"
for v in TLSv1 TLSv1_1; do
  wss_run "tls_$v" 10 tls --max-version "$v"
  [ "$(jq -r .handshake "$work/tls_$v.out")" = refused ] || fail "$v accepted: $(cat "$work/tls_$v.out")"
  echo "   $v: refused ($(jq -r .error "$work/tls_$v.out"))"
done
probe p_oversize --origin "$WSS_ORIGIN" --token "$good_alice" --oversize 70000 --wait 5
[ "$(jq -r .close_code "$work/p_oversize.out")" = 1009 ] ||
  fail "oversized message: $(cat "$work/p_oversize.out")"
echo "   70 kB message: closed $(jq -r .close_code "$work/p_oversize.out")"
bad_cseq='INVITE sip:600@pbx.lab SIP/2.0\r\nVia: SIP/2.0/WSS HOST.invalid;branch=z9hG4bKbadcseq1\r\nMax-Forwards: 70\r\nFrom: <sip:alice@pbx.lab>;tag=a1\r\nTo: <sip:600@pbx.lab>\r\nCall-ID: malformed-1\r\nCSeq: one INVITE\r\nContent-Length: 0\r\n\r\n'
probe p_malformed --origin "$WSS_ORIGIN" --token "$good_alice" --raw "$bad_cseq"
resp=$(jq -r .response "$work/p_malformed.out")
[[ "$resp" =~ ^SIP/2.0\ 400\ .+ ]] || fail "malformed SIP over WSS: $(cat "$work/p_malformed.out")"
echo "   malformed CSeq: $resp"
bad_mf='OPTIONS sip:198.18.1.1 SIP/2.0\r\nVia: SIP/2.0/WSS HOST.invalid;branch=z9hG4bKbadmf1\r\nMax-Forwards: 300\r\nFrom: <sip:alice@pbx.lab>;tag=a2\r\nTo: <sip:198.18.1.1>\r\nCall-ID: malformed-2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'
probe p_malformed2 --origin "$WSS_ORIGIN" --token "$good_alice" --raw "$bad_mf"
resp=$(jq -r .response "$work/p_malformed2.out")
[[ "$resp" =~ ^SIP/2.0\ 400\ .*Max-Forwards ]] || fail "Max-Forwards 300 over WSS: $(cat "$work/p_malformed2.out")"
echo "   Max-Forwards 300: $resp"
# shellcheck disable=SC2046
wss_run sub_reg 15 $(ua --token "$good_alice" --user bob --password "$pw_bob" --register)
[ "$(jq_of sub_reg '.register[-1]')" = 403 ] || fail "REGISTER as bob with alice's token: $(wss_report sub_reg)"
# shellcheck disable=SC2046
wss_run sub_inv 15 $(ua --token "$good_alice" --user alice --from-user bob --call 600 --hold 0.5)
[ "$(jq_of sub_inv '.invite[-1]')" = 403 ] || fail "INVITE From bob with alice's token: $(wss_report sub_inv)"
echo "   token sub=alice: REGISTER as bob $(jq_of sub_reg '.register[-1]'), INVITE From bob $(jq_of sub_inv '.invite[-1]') ($(jq_of sub_inv .invite_reason))"
# The token's scope and lifetime still hold after the upgrade.
# shellcheck disable=SC2046
wss_run scope_inv 15 $(ua --token "$(token register-only alice)" --user alice --call 600 --hold 0.5)
[ "$(jq_of scope_inv '.invite[-1]')" = 403 ] || fail "INVITE with a register-only token: $(wss_report scope_inv)"
# shellcheck disable=SC2046
# Expired 27 s ago: inside the 30 s leeway at the upgrade, past it 4 s later at the REGISTER.
wss_run short_reg 15 $(ua --token "$("$py" "$wss_client" token --key "$jwt_key" --kind short --ttl -27)" \
  --user alice --password "$pw_alice" --register --delay 4)
[ "$(jq_of short_reg '.register[-1]')" = 403 ] || fail "REGISTER after the token expired: $(wss_report short_reg)"
echo "   scope \"register\": INVITE $(jq_of scope_inv '.invite[-1]') ($(jq_of scope_inv .invite_reason));" \
  "token past exp + leeway before a REGISTER on its connection: $(jq_of short_reg '.register[-1]')"
# A token that lapsed 10 s ago is inside the realm's 30 s leeway at the upgrade; the B2BUA
# must honour the same leeway (or the upgrade refuse it): an upgraded connection that can do
# nothing is a bug.
# shellcheck disable=SC2046
wss_run lapsed 15 $(ua --token "$(token lapsed alice)" --user alice --password "$pw_alice" --register)
lapsed_http=$(jq_of lapsed .http_status)
lapsed_reg=$(jq_of lapsed '.register[-1] // "none"')
echo "   token expired 10 s ago (leeway 30 s): upgrade $lapsed_http, REGISTER $lapsed_reg"
[ "$lapsed_http" = 101 ] && [ "$lapsed_reg" != 200 ] &&
  bug "JWT leeway: the upgrade accepted a token expired 10 s ago (leeway_s 30) but the B2BUA" \
    "answers its REGISTER $lapsed_reg \"$(jq_of lapsed .register_reason)\""
rate0=$(refused rate)
probe p_burst --origin "$WSS_ORIGIN" --token "$good_alice" --burst 80 --wait 5
[ "$(jq -r .close_code "$work/p_burst.out")" = 1008 ] || fail "80 messages at once: $(cat "$work/p_burst.out")"
[ "$(( $(refused rate) - rate0 ))" = 1 ] || fail "refused{reason=\"rate\"} not counted"
echo "   80 OPTIONS at once: $(jq -r .responses "$work/p_burst.out") answered, then closed 1008; rate +1"
delta() { echo $(( $2 - ${before[$1]} )); }
check_count() {  # KEY NOW EXPECTED LABEL
  local d
  d=$(delta "$1" "$2")
  [ "$d" -ge "$3" ] || fail "$4 counted $d times, expected $3"
  echo "   $4: +$d"
}
check_count r_jwt "$(refused jwt)" 6 'refused{reason="jwt"}'
check_count r_origin "$(refused origin)" 2 'refused{reason="origin"}'
check_count r_subprotocol "$(refused subprotocol)" 1 'refused{reason="subprotocol"}'
check_count r_tls_handshake "$(refused tls_handshake)" 2 'refused{reason="tls_handshake"}'
check_count r_oversize "$(refused oversize)" 1 'refused{reason="oversize"}'
check_count j_missing "$(jwt_rejected missing)" 1 'jwt_rejections{reason="missing"}'
check_count j_expired "$(jwt_rejected expired)" 1 'jwt_rejections{reason="expired"}'
check_count j_not_yet_valid "$(jwt_rejected not_yet_valid)" 1 'jwt_rejections{reason="not_yet_valid"}'
check_count j_bad_signature "$(jwt_rejected bad_signature)" 1 'jwt_rejections{reason="bad_signature"}'
check_count j_wrong_audience "$(jwt_rejected wrong_audience)" 1 'jwt_rejections{reason="wrong_audience"}'
check_count j_alg_refused "$(jwt_rejected alg_refused)" 1 'jwt_rejections{reason="alg_refused"}'
# shellcheck disable=SC2046
wss_run after 20 $(ua --token "$good_alice" --user alice --call 600 --hold 1)
[ "$(jq_of after '.invite[-1]')" = 200 ] && [ "$(jq_of after .bye)" = 200 ] ||
  fail "a normal call after the refusals: $(wss_report after)"
wss_alive
echo "   a normal call afterwards: INVITE 200, BYE 200; both processes running"

step "d2. the WebSocket of a call in progress closes without a BYE (a tab closed)"
sip_capture_start "$lan" lan-sig d2_lan_sig 20 "port 5060"
# shellcheck disable=SC2046
wss_bg drop $(ua --token "$good_alice" --user alice --call 600 --hold 1 --drop)
wss_wait_event drop answered 15
[ "$(cpm rampart_cp_calls_active)" = 1 ] || fail "calls_active $(cpm rampart_cp_calls_active) during the call"
wss_wait drop 10
for _ in $(seq 1 50); do [ "$(cpm rampart_cp_calls_active)" = 0 ] && break; sleep 0.1; done
sip_capture_stop d2_lan_sig
[ "$(cpm rampart_cp_calls_active)" = 0 ] || fail "call still active after its WebSocket closed"
byes=$(tcpdump -n -r "$work/d2_lan_sig.pcap" "src host 198.18.3.1" 2>/dev/null | grep -c 'SIP: BYE sip:' || true)
[ "$byes" -ge 1 ] || fail "no BYE toward the PBX after the WebSocket closed"
lost=$(cpm 'rampart_cp_calls_ended_total\{reason="connection_lost"\}')
echo "   calls_active 1 -> 0, BYE sent to the PBX ($byes), calls_ended{connection_lost} $lost"

# --- e -----------------------------------------------------------------------------------------
step "e. WebSocket liveness: idle_timeout_s 3, ping_interval_s 1, handshake_timeout_s 1 (control plane restarted)"
wss_config "$work/rampart-short.yaml" idle_timeout_s=3 ping_interval_s=1 handshake_timeout_s=1
wss_cp_restart "$work/rampart-short.yaml"
idle0=$(refused idle)
pt0=$(refused ping_timeout)
# Answers pings (python3-websockets does), sends nothing: closed for idleness after ~3 s.
probe e_idle --origin "$WSS_ORIGIN" --token "$good_alice" --idle --wait 8
[ "$(jq -r .closed_by "$work/e_idle.out")" = server ] && [ "$(jq -r .close_code "$work/e_idle.out")" = 1001 ] ||
  fail "silent client not closed as idle: $(cat "$work/e_idle.out")"
e_idle_s=$(jq -r .elapsed_s "$work/e_idle.out")
awk -v t="$e_idle_s" 'BEGIN {exit !(t >= 2.5 && t <= 5)}' || fail "idle close after $e_idle_s s, expected ~3"
# Sends an OPTIONS every second for 5 s: outlives the idle limit.
probe e_busy --origin "$WSS_ORIGIN" --token "$good_alice" --idle --options-every 1 --wait 5
[ "$(jq -r .closed_by "$work/e_busy.out")" = client ] ||
  fail "a client sending SIP every second was closed: $(cat "$work/e_busy.out")"
# TCP, and then nothing (no TLS ClientHello): dropped at handshake_timeout_s (1 s).
hs0=$(refused handshake_timeout)
wss_run e_tcp 10 tcpidle --wait 6
[ "$(jq -r .closed_by "$work/e_tcp.out")" = server ] || fail "silent TCP connection: $(cat "$work/e_tcp.out")"
awk -v t="$(jq -r .elapsed_s "$work/e_tcp.out")" 'BEGIN {exit !(t >= 0.8 && t <= 2.5)}' ||
  fail "silent TCP connection closed after $(jq -r .elapsed_s "$work/e_tcp.out") s, expected ~1"
[ "$(( $(refused handshake_timeout) - hs0 ))" = 1 ] || fail "refused{reason=\"handshake_timeout\"} not counted"
# Never answers a ping: closed when the next ping is due without a pong (~2 s).
wss_run e_nopong 15 nopong --token "$good_alice" --origin "$WSS_ORIGIN" --wait 8
np_code=$(jq -r .close_code "$work/e_nopong.out")
np_s=$(jq -r .elapsed_s "$work/e_nopong.out")
[ "$np_code" = 1001 ] && [ "$(jq -r .pings "$work/e_nopong.out")" -ge 1 ] ||
  fail "client without pongs: $(cat "$work/e_nopong.out")"
awk -v t="$np_s" 'BEGIN {exit !(t >= 1.5 && t <= 3.5)}' || fail "no-pong close after $np_s s, expected ~2"
[ "$(( $(refused idle) - idle0 ))" = 1 ] || fail "refused{reason=\"idle\"} +$(( $(refused idle) - idle0 )), expected +1"
[ "$(( $(refused ping_timeout) - pt0 ))" = 1 ] ||
  fail "refused{reason=\"ping_timeout\"} +$(( $(refused ping_timeout) - pt0 )), expected +1"
echo "   silent client: closed $(jq -r .close_code "$work/e_idle.out") \"$(jq -r .close_reason "$work/e_idle.out")\" after $e_idle_s s;" \
  "OPTIONS every 1 s: open for 5 s ($(jq -r .options_sent "$work/e_busy.out") sent);" \
  "no pongs: $(jq -r .pings "$work/e_nopong.out") ping(s), closed $np_code \"$(jq -r .close_reason "$work/e_nopong.out")\" after $np_s s;" \
  "silent TCP: closed after $(jq -r .elapsed_s "$work/e_tcp.out") s; idle +1, ping_timeout +1, handshake_timeout +1"
wss_alive

if [ "${#bugs[@]}" != 0 ]; then
  printf '   %s\n' "${bugs[@]}" >&2
  fail "${#bugs[@]} Rampart bug(s) found (above)"
fi
step "PASS"
