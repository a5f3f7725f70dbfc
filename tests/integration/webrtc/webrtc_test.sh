#!/usr/bin/env bash
# A real browser through Rampart (issue 10): Debian's headless Chromium in the wan namespace,
# driven by playwright-core (drive.cjs), runs the lab softphone page (tools/softphone: JsSIP over
# WSS, served by tools/softphone/server.py with a demo token endpoint) against the real
# rampart-dataplane and rampart-controlplane in a lab of their own (prefix rwb), with the lab PBX
# in the lan namespace. The wan realm is `sdp_profile: webrtc` (DTLS-SRTP, ICE-lite, rtcp-mux).
#  0. lab CA: the page's HTTPS server and Rampart's WSS listener present certificates that verify
#     against etc/lab-certs/ca.crt for 198.18.1.1 (curl / openssl from the wan namespace).
#  1. the page loads over HTTPS; its Origin is the only one the wan realm allows.
#  2. REGISTER alice over WSS with a token from the page's lab endpoint: 200, PBX contact is
#     Rampart's lan address.
#  3. INVITE 600 (echo) answered 200; ICE connected; DTLS connected with an SRTP profile
#     (getStats); RTP counters grow both ways in the browser; RTP both ways on the PBX's media wire;
#     DTMF and mute; an ICE restart (re-INVITE, new ufrag/pwd on both sides) keeps media flowing
#     and sends no re-INVITE to the PBX; BYE from the page reaches the PBX.
#  4. BYE from the far side: a sipp UAS behind route '^7' answers and hangs up; the page sees it.
#  5. inbound: bob registered from a second tab; a sipp UAC in lan calls bob through the PBX; the
#     page answers; media both ways; the caller's BYE ends it.
#  6. 5 concurrent browser calls to 600 from one page, media both ways on all, then all hung up.
#  7. security: the page corrupts the DTLS fingerprint of its offer (SDP munged after
#     setLocalDescription): the call must fail or be ended by Rampart, with no media either way
#     and no RTP toward the PBX.
# Needs root, kamailio, sipp, tcpdump, chromium, node and the npm packages of tools/softphone
# (tools/bootstrap). About 90 s when everything works.
# usage: webrtc_test.sh SRC DATAPLANE CONTROLPLANE SOFTPHONE_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
dp=$2
cp=$3
softphone=$4
# shellcheck source=webrtc_lib.sh
. "$src/tests/integration/webrtc/webrtc_lib.sh"
webrtc_require "$softphone" kamailio sipp tcpdump kamcmd node curl openssl

prefix="rwb$(( $$ % 100000 ))-"
work=$(mktemp -d "/tmp/rwb-$$-XXXX")
# shellcheck source=../sip/sip_lib.sh
. "$src/tests/integration/sip/sip_lib.sh"
# shellcheck source=../sip/wss_lib.sh
. "$src/tests/integration/sip/wss_lib.sh"
S=$sip_dir
PBX=198.18.3.2:5060
PAGE_URL=https://198.18.1.1:8444/
WSS_ORIGIN=https://198.18.1.1:8444  # the page's origin: the only one the test realm allows
t_start=$SECONDS
step() { echo "[$((SECONDS - t_start))s] $*"; }
ok() { echo "   ok: $*"; }

drv_cleanup() {
  drv_stop  # the driver writes each page's events and calls into $work/trace as it quits
  if [ -n "${WSS_FAILED:-}" ]; then
    echo "--- browser driver log (tail)" >&2
    tail -n 40 "$work/driver.err" >&2 2>/dev/null || true
    echo "--- the last call's SDP as the browser saw it" >&2
    /usr/bin/python3 - "$work"/trace/page-*.json <<'PY' >&2 2>/dev/null || true
import json, sys
calls = [c for f in sys.argv[1:] for c in json.load(open(f))["state"]["calls"]]
if calls:
    c = max(calls, key=lambda c: c["startedAt"])
    print(f"call {c['id']} {c['direction']} {c['peer']}: {c['state']} {c['status']} {c.get('reason')}")
    print("offer/local:\n" + (c.get("localSdp") or "-").strip())
    print("answer/remote:\n" + (c.get("remoteSdp") or "-").strip())
PY
  fi
  wss_cleanup
}
trap drv_cleanup EXIT
drv_ns=$wan


# --- configuration and start ----------------------------------------------------------------
config=$work/rampart.yaml
wss_config "$config"
# The wan realm becomes a WebRTC realm; a '^7' route reaches a sipp UAS (step 4).
"$py" - "$config" <<'PY'
import sys, yaml
path = sys.argv[1]
c = yaml.safe_load(open(path))
for r in c["realms"]:
    if r["name"] == "wan":
        r["sdp_profile"] = "webrtc"
        r.pop("sdp", None)
# No OPTIONS health checks: one reaching the sipp UAS (-m 1) before the INVITE would take its
# only call, and the INVITE would go unanswered.
c.setdefault("sip", {})["options_interval_s"] = 0
c["routes"] = [
    {"name": "to-uas", "from": "wan", "to": "lan", "match_user": "^7", "target": "sip:198.18.3.2:5080"},
    {"name": "to-pbx", "from": "wan", "to": "lan", "match_user": "", "target": "sip:198.18.3.2:5060"},
]
yaml.safe_dump(c, open(path, "w"), default_flow_style=None, sort_keys=False)
PY
"$cp" --config "$config" --check-config >"$work/check.log" 2>&1 ||
  fail "control plane refuses the WebRTC test config: $(cat "$work/check.log")"
wss_start
nsx "$lan" ip addr add 198.18.3.20/24 dev lan-sig
nsx "$lan" ip addr add 198.18.4.20/24 dev lan-med
pw_alice=$(sip_password alice)
pw_bob=$(sip_password bob)

# The lab softphone server in the sbc namespace, on the wan signalling address.
ip netns exec "$sbc" /usr/bin/python3 "$src/tools/softphone/server.py" --config "$config" \
  --root "$softphone" --address 198.18.1.1 --port 8444 --users-file "$pbx_dir/users.txt" \
  --ca "$src/etc/lab-certs/ca.crt" --ready-file "$work/softphone.url" \
  >"$work/softphone.log" 2>&1 &
wss_pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/softphone.url" ] && break; sleep 0.1; done
[ -s "$work/softphone.url" ] || fail "softphone server did not start: $(cat "$work/softphone.log")"

# --- 0 ----------------------------------------------------------------------------------------
step "0. lab CA: HTTPS (8444) and WSS (8443) certificates verify against etc/lab-certs/ca.crt"
nsx "$wan" curl -sf --max-time 5 --cacert "$src/etc/lab-certs/ca.crt" "${PAGE_URL}lab/config.json" \
  >"$work/config.json" || fail "HTTPS ${PAGE_URL} does not verify against the lab CA"
ok "HTTPS $PAGE_URL verified: $(cat "$work/config.json")"
v=$(timeout 10 ip netns exec "$wan" openssl s_client -connect 198.18.1.1:8443 -verify_ip 198.18.1.1 \
  -CAfile "$src/etc/lab-certs/ca.crt" -verify_return_error </dev/null 2>&1 | grep -m1 'Verify return code' || true)
grep -q 'Verify return code: 0 (ok)' <<<"$v" || fail "WSS 198.18.1.1:8443 does not verify against the lab CA: $v"
ok "WSS 198.18.1.1:8443: $v"

# --- 1 ----------------------------------------------------------------------------------------
step "1. headless Chromium (wan namespace) loads the softphone page over HTTPS"
drv_start
must 40 open alice

# --- 2 ----------------------------------------------------------------------------------------
step "2. REGISTER alice over WSS (token from the page's lab endpoint, digest relayed): 200"
must 20 register alice alice "$pw_alice"
contacts=$(sip_registered alice)
grep -q '198\.18\.3\.1' <<<"$contacts" || fail "the PBX's contact for alice is not Rampart's lan address: $contacts"
ok "PBX contact for alice: $contacts"

# --- 3 ----------------------------------------------------------------------------------------
step "3. INVITE 600 (echo): 200, ICE, DTLS-SRTP, RTP both ways in the browser and on the PBX wire"
sip_capture_start "$lan" lan-med med3 120 "udp and host 198.18.4.1"
sip_capture_start "$lan" lan-sig sig3 120 "udp port 5060 or udp port 5070"
must 5 call alice echo 600
if ! drv 20 answered echo 15; then
  fail "INVITE 600: $drv_msg"
fi
must 15 ice echo 10
must 15 dtls echo 10
must 15 media echo 50 8
must 5 dtmf echo 1234#
must 5 mute echo on
must 5 mute echo off
must 15 media echo 25 5
sip_capture_stop med3
to_pbx=$(sip_count med3 "src host 198.18.4.1 and dst host 198.18.4.2 and udp[8] & 0xc0 = 0x80")
from_pbx=$(sip_count med3 "src host 198.18.4.2 and dst host 198.18.4.1 and udp[8] & 0xc0 = 0x80")
[ "$to_pbx" -ge 50 ] && [ "$from_pbx" -ge 50 ] ||
  fail "RTP on the PBX's media wire: $to_pbx packets Rampart->PBX, $from_pbx PBX->Rampart (want >= 50 each)"
ok "PBX media wire: $to_pbx RTP packets Rampart->echo, $from_pbx echo->Rampart"

step "3b. ICE restart mid-call: new credentials both sides, media keeps flowing, no re-INVITE to the PBX"
sip_capture_start "$lan" lan-med med3b 60 "udp and host 198.18.4.1"
invites_before=$(sip_grep_wire sig3 'SIP: INVITE sip:')
must 20 restart echo
must 15 ice echo 10
must 15 dtls echo 10
must 15 media echo 50 8
sip_capture_stop med3b
after_to=$(sip_count med3b "src host 198.18.4.1 and dst host 198.18.4.2")
after_from=$(sip_count med3b "src host 198.18.4.2 and dst host 198.18.4.1")
[ "$after_to" -ge 25 ] && [ "$after_from" -ge 25 ] ||
  fail "after the ICE restart the PBX wire saw $after_to packets Rampart->PBX, $after_from back"
ok "PBX media wire after the restart: $after_to Rampart->echo, $after_from echo->Rampart"

step "3c. BYE from the page reaches the PBX"
must 5 hangup echo
must 10 ended echo local 5
sleep 0.5
sip_capture_stop sig3
invites_after=$(sip_grep_wire sig3 'SIP: INVITE sip:')
[ "$invites_after" = "$invites_before" ] ||
  fail "the ICE restart sent a re-INVITE toward the PBX ($invites_before -> $invites_after INVITEs on lan)"
[ "$(sip_grep_wire sig3 'SIP: BYE sip:')" -ge 1 ] || fail "no BYE reached the PBX side"
ok "BYE relayed to the PBX; INVITEs on the lan wire: $invites_after (none for the ICE restart)"

# --- 4 ----------------------------------------------------------------------------------------
step "4. BYE from the far side: a sipp UAS (route ^7) answers 700 and hangs up after 3 s"
sip_bg "$lan" uas_bye 25 -sf "$S/uas_bye.xml" -i 198.18.3.2 -p 5080 -t u1 -mi 198.18.4.2 \
  -mp 6100 -d 3000 -s 700 -m 1
must 5 call alice farbye 700
must 20 answered farbye 10
must 15 ice farbye 10
must 15 ended farbye remote 10
sip_wait uas_bye 10

# --- 5 ----------------------------------------------------------------------------------------
step "5. inbound: bob registered in a second tab; a sipp UAC in lan calls bob through the PBX"
must 40 open bob
must 20 register bob bob "$pw_bob"
sip_capture_start "$lan" lan-med med5 60 "udp and host 198.18.4.1"
sip_bg "$lan" call_bob 40 -sf "$S/uac_call.xml" "$PBX" -s bob -au bob -ap "$pw_bob" \
  -i 198.18.3.20 -p 5090 -t u1 -mi 198.18.4.20 -mp 7000 -d 8000 -m 1
must 20 incoming bob inbound 15
must 20 answered inbound 10
must 15 ice inbound 10
must 15 dtls inbound 10
must 15 media inbound 50 6
must 20 ended inbound remote 15
sip_wait call_bob 20
sip_capture_stop med5
to_caller=$(sip_count med5 "src host 198.18.4.1 and dst host 198.18.4.20")
[ "$to_caller" -ge 25 ] || fail "the caller got $to_caller RTP packets from Rampart (want >= 25)"
ok "the lan caller received $to_caller RTP packets from the browser through Rampart"

# --- 6 ----------------------------------------------------------------------------------------
step "6. five concurrent browser calls to 600, media both ways on each"
for i in 1 2 3 4 5; do must 5 call alice "c$i" 600; done
for i in 1 2 3 4 5; do must 20 answered "c$i" 15; done
for i in 1 2 3 4 5; do must 15 dtls "c$i" 10; done
for i in 1 2 3 4 5; do must 15 media "c$i" 50 10; done
active=$(cpm rampart_cp_calls_active)
[ "$active" = 5 ] || fail "rampart_cp_calls_active $active with five calls up"
ok "rampart_cp_calls_active $active"
for i in 1 2 3 4 5; do must 5 hangup "c$i"; done
for i in 1 2 3 4 5; do must 10 ended "c$i" local 5; done
for _ in $(seq 1 50); do [ "$(cpm rampart_cp_calls_active)" = 0 ] && break; sleep 0.1; done
[ "$(cpm rampart_cp_calls_active)" = 0 ] || fail "calls still active after five BYEs: $(cpm rampart_cp_calls_active)"

# --- 7 ----------------------------------------------------------------------------------------
step "7. security: the offer's DTLS fingerprint does not match the browser's certificate"
must 5 option alice hangupOnMediaFailure false
sip_capture_start "$lan" lan-med med7 60 "udp and src host 198.18.4.1"
must 5 call alice badfp 600 local
# The call may be refused outright or answered and then ended by Rampart when the handshake
# fails (BYE); either way no media may flow and the page must not be the one ending it.
must 15 nomedia badfp 8
must 20 ended badfp remote 12
sip_capture_stop med7
leaked=$(sip_count med7 "src host 198.18.4.1 and dst host 198.18.4.2")
[ "$leaked" = 0 ] || fail "$leaked RTP packets reached the PBX for the call with a bad fingerprint"
ok "no RTP toward the PBX; DTLS metrics: $(nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9100/metrics |
  grep -iE '^rampart_cp_dtls[a-z_]*\{[^}]*(fingerprint|fail)' | tr '\n' ' ' || true)"

step "end: both processes alive, no call left"
wss_alive
for _ in $(seq 1 50); do [ "$(cpm rampart_cp_calls_active)" = 0 ] && break; sleep 0.1; done
[ "$(cpm rampart_cp_calls_active)" = 0 ] || fail "calls still active at the end"
echo "PASS: webrtc_test ($((SECONDS - t_start)) s)"
