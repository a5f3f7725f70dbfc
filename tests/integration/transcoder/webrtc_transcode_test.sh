#!/usr/bin/env bash
# A real browser through a transcoded call (issue 13): Debian's headless Chromium (drive.cjs, the
# lab softphone page over WSS, DTLS-SRTP) calls a PBX side that speaks only PCMU, through the
# real rampart-dataplane, rampart-controlplane and rampart-transcoder (prefix rwx). The wan realm
# keeps only Opus (realms[wan].sdp.codecs), the lan realm only PCMU with `transcode: [PCMU]`,
# so Rampart must transcode Opus <-> PCMU. The browser's microphone is a 600 Hz tone (Chromium's
# fake capture from a WAV, audio processing off); xc_audio_peer plays the PBX's media (850 Hz).
#  A. wan signals DTMF with SIP INFO, lan with RFC 4733 (realms[i].sdp.dtmf):
#     1. the call is answered, counted as transcoded, ICE/DTLS up, Opus in the browser;
#     2. audio both ways: the PBX side decodes PCMU correlated with the browser's 600 Hz tone;
#        the page's WebAudio analyser hears the PBX's 850 Hz tone;
#     3. digits pressed on the page (sent as SIP INFO) reach the PBX as RFC 4733 events; the
#        PBX's RFC 4733 digit reaches the page as SIP INFO.
#  B. the control plane restarted with the opposite settings (wan rfc4733, lan sip_info):
#     4. digits pressed on the page (RFC 4733, RTCDTMFSender) reach the PBX as SIP INFO (bodies
#        checked by the sipp UAS); the PBX's INFO is answered 200 and played to the browser as
#        RFC 4733 by the transcoder (rampart_xc_dtmf_events_total{method="sip_info"}).
# Needs root, kamailio, sipp, chromium, node and the npm packages of tools/softphone
# (tools/bootstrap). About 60 s.
# usage: webrtc_transcode_test.sh SRC DATAPLANE CONTROLPLANE SOFTPHONE_DIR TRANSCODER XC_AUDIO_PEER
set -euo pipefail
src=$(cd "$1" && pwd)
dp=$2
cp=$3
softphone=$4
xc=$5
peer=$6
# shellcheck source=../webrtc/webrtc_lib.sh
. "$src/tests/integration/webrtc/webrtc_lib.sh"
webrtc_require "$softphone" kamailio sipp node curl

prefix="rwx$(( $$ % 100000 ))-"
work=$(mktemp -d "/tmp/rwx-$$-XXXX")
# shellcheck source=../sip/sip_lib.sh
. "$src/tests/integration/sip/sip_lib.sh"
# shellcheck source=../sip/wss_lib.sh
. "$src/tests/integration/sip/wss_lib.sh"
here=$src/tests/integration/transcoder
# shellcheck source=xc_b2bua_lib.sh
. "$here/xc_b2bua_lib.sh"  # xc_wait_transcoded
PAGE_URL=https://198.18.1.1:8444/
WSS_ORIGIN=https://198.18.1.1:8444
t_start=$SECONDS
step() { echo "[$((SECONDS - t_start))s] $*"; }
ok() { echo "   ok: $*"; }
dpm() {  # REGEX: sum of the matching dataplane samples (the transcoder's rampart_xc_* too)
  nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9101/metrics |
    { grep -E "^($1)" || true; } | awk '{s += $NF} END {print s + 0}'
}
drv_cleanup() {
  drv_stop
  if [ -n "${WSS_FAILED:-}" ]; then
    echo "--- browser driver log (tail)" >&2
    tail -n 30 "$work/driver.err" >&2 2>/dev/null || true
    echo "--- transcoder log (tail)" >&2
    tail -n 10 "$work/xc.log" >&2 2>/dev/null || true
  fi
  wss_cleanup
}
trap drv_cleanup EXIT
drv_ns=$wan

# Tones as 16-bit mono WAVs: the browser's microphone (48 kHz) and the PBX's signal (8 kHz).
/usr/bin/python3 - "$work" <<'PY'
import math, struct, sys, wave
def tone(path, rate, hz, seconds, dbfs=-12):
    amp = 32767 * 10 ** (dbfs / 20)
    with wave.open(path, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(amp * math.sin(2 * math.pi * hz * i / rate)))
                               for i in range(int(rate * seconds))))
tone(sys.argv[1] + "/mic_600.wav", 48000, 600, 10)
tone(sys.argv[1] + "/pbx_850.wav", 8000, 850, 10)
PY
DRV_FAKE_AUDIO=$work/mic_600.wav

# configure WAN_DTMF LAN_DTMF OUT: the wan realm a WebRTC realm keeping only Opus, the lan realm
# only PCMU (transcoding allowed), each with its DTMF method; every 7xxx call to the sipp UAS.
configure() {
  wss_config "$3"
  "$py" - "$3" "$1" "$2" <<'PY'
import sys, yaml
path, wan_dtmf, lan_dtmf = sys.argv[1:4]
c = yaml.safe_load(open(path))
for r in c["realms"]:
    if r["name"] == "wan":
        r["sdp_profile"] = "webrtc"
        r["sdp"] = {"codecs": ["opus", "telephone-event"], "dtmf": wan_dtmf}
    if r["name"] == "lan":
        r["sdp"] = {"codecs": ["PCMU", "telephone-event"], "transcode": ["PCMU"], "dtmf": lan_dtmf}
# No OPTIONS health checks: the sipp UASs (-m 1) would take one for their only call.
c.setdefault("sip", {})["options_interval_s"] = 0
c["routes"] = [
    {"name": "to-uas", "from": "wan", "to": "lan", "match_user": "^7", "target": "sip:198.18.3.2:5080"},
    {"name": "to-pbx", "from": "wan", "to": "lan", "match_user": "", "target": "sip:198.18.3.2:5060"},
]
yaml.safe_dump(c, open(path, "w"), default_flow_style=None, sort_keys=False)
PY
  "$cp" --config "$3" --check-config >"$work/check.log" 2>&1 ||
    fail "control plane refuses the test config: $(cat "$work/check.log")"
}

# lan_port UAS: the media port Rampart offered the PBX (from the sipp UAS's message log).
lan_port() {
  awk '/^INVITE /,/^m=audio/' "$work/$1.msg" | grep -oE '^m=audio [0-9]+' | head -n1 | awk '{print $2}'
}

# pbx_peer NAME SECONDS ARGS...: xc_audio_peer as the PBX's phone (PCMU, events PT 101) for
# SECONDS, in the background, toward the port offered to the current sipp UAS ($uas); its JSON
# report in $work/NAME.json.
pbx_peer() {
  local name=$1 secs=$2 port
  shift 2
  port=$(lan_port "$uas")
  [ -n "$port" ] || fail "no m=audio in the INVITE the PBX received"
  nsx "$lan" "$peer" --local 198.18.4.2:5200 --remote "198.18.4.1:$port" --send pcmu:0 \
    --recv pcmu:0 --signal "$work/pbx_850.wav" --ref "$work/mic_600.wav" --seconds "$secs" \
    --events-pt 101 "$@" >"$work/$name.json" 2>"$work/$name.err" &
  peer_pid=$!
  # Bound before anything is sent to it (a digit sent earlier would be lost to ICMP).
  for _ in $(seq 1 50); do
    nsx "$lan" ss -Hlun 'sport = :5200' | grep -q 5200 && return 0
    sleep 0.05
  done
  fail "xc_audio_peer $name did not bind 198.18.4.2:5200"
}
peer_wait() {  # NAME: the peer ended well; prints its report
  wait "$peer_pid" || fail "xc_audio_peer $1: $(cat "$work/$1.err")"
  echo "   PBX side: $(cat "$work/$1.json")"
}
jq_() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$@"; }

transcoded() {
  xc_wait_transcoded
  ok "rampart_cp_transcoded_calls{realm=\"lan\"} 1"
}

# --- start --------------------------------------------------------------------------------------
config=$work/rampart.yaml
configure sip_info rfc4733 "$config"
wss_start
ip netns exec "$sbc" "$xc" --shm "$shm" >"$work/xc.log" 2>&1 &
wss_pids+=($!)
for _ in $(seq 1 50); do grep -q attached "$work/xc.log" && break; sleep 0.1; done
grep -q attached "$work/xc.log" || fail "transcoder did not attach: $(cat "$work/xc.log")"
ip netns exec "$sbc" /usr/bin/python3 "$src/tools/softphone/server.py" --config "$config" \
  --root "$softphone" --address 198.18.1.1 --port 8444 --users-file "$pbx_dir/users.txt" \
  --ca "$src/etc/lab-certs/ca.crt" --ready-file "$work/softphone.url" \
  >"$work/softphone.log" 2>&1 &
wss_pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/softphone.url" ] && break; sleep 0.1; done
[ -s "$work/softphone.url" ] || fail "softphone server did not start: $(cat "$work/softphone.log")"
pw_alice=$(sip_password alice)
drv_start
must 40 open alice
must 20 register alice alice "$pw_alice"
must 5 option alice audioProcessing false

# --- A ------------------------------------------------------------------------------------------
step "A1. the page calls 7001 (PBX side PCMU only): answered, transcoded, ICE and DTLS up, Opus"
uas=uas_a
sip_bg "$lan" uas_a 40 -sf "$here/uas_pcmu.xml" -i 198.18.3.2 -p 5080 -t u1 -m 1
must 5 call alice xa 7001
must 20 answered xa 10
transcoded
must 15 ice xa 10
grep -q 'codec opus/48000' <<<"$drv_msg" || fail "the browser's codec is not Opus: $drv_msg"
must 15 dtls xa 10

step "A2. audio both ways: the PBX decodes the browser's 600 Hz tone, the page hears 850 Hz"
pbx_peer audio 6
must 15 hear xa 850 5
peer_wait audio
/usr/bin/python3 - "$work/audio.json" <<'PY' || fail "the PBX side did not get the browser's tone"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["received"] >= 200 and r["corr"] >= 0.9 else 1)
PY
ok "PBX side: $(jq_ "$work/audio.json" received) packets, correlation $(jq_ "$work/audio.json" corr) with the 600 Hz tone"

step "A3. DTMF: the page's SIP INFO reaches the PBX as RFC 4733, the PBX's RFC 4733 the page as INFO"
pbx_peer dtmf 6 --send-events "101:7"
must 5 option alice dtmfTransport '"INFO"'
must 10 dtmf xa 19
must 15 dtmfin xa 7 8
peer_wait dtmf
[ "$(jq_ "$work/dtmf.json" events)" = 19 ] ||
  fail "the PBX got RFC 4733 events '$(jq_ "$work/dtmf.json" events)', expected 19"
ok "PBX side received RFC 4733 events 19 ($(jq_ "$work/dtmf.json" event_ends) end packets)"
[ "$(cpm 'rampart_cp_dtmf_total\{direction="received",method="sip_info"')" = 2 ] ||
  fail "rampart_cp_dtmf_total received: $(cpm 'rampart_cp_dtmf_total\{direction="received"')"
[ "$(cpm 'rampart_cp_dtmf_total\{direction="sent",method="sip_info"')" = 1 ] ||
  fail "rampart_cp_dtmf_total sent: $(cpm 'rampart_cp_dtmf_total\{direction="sent"')"
ok "rampart_cp_dtmf_total: 2 INFO received from the page, 1 sent to it"
must 5 hangup xa
must 10 ended xa local 5
sip_wait uas_a 10

# --- B ------------------------------------------------------------------------------------------
step "B4. control plane restarted: wan rfc4733, lan sip_info; RFC 4733 from the page -> INFO"
configure rfc4733 sip_info "$work/rampart-b.yaml"
wss_cp_restart "$work/rampart-b.yaml"
must 20 register alice alice "$pw_alice"
must 5 option alice dtmfTransport '"RFC2833"'
uas=uas_b
sip_bg "$lan" uas_b 40 -sf "$here/uas_pcmu_info.xml" -i 198.18.3.2 -p 5080 -t u1 -m 1
must 5 call alice xb 7002
must 20 answered xb 10
transcoded
must 15 dtls xb 10
pbx_peer info 7
sleep 3.5  # the PBX sends its INFO 2.5 s after the ACK, then waits for the page's digits
must 10 dtmf xb '1#'
peer_wait info
must 5 hangup xb
must 10 ended xb local 5
sip_wait uas_b 10 ||
  fail "the PBX did not get the page's digits as INFO: $(grep -A3 '^INFO' "$work/uas_b.msg" | tail -n 12)"
ok "the sipp UAS got INFO Signal=1 and Signal=# and sent its own INFO 5"
[ "$(dpm 'rampart_xc_dtmf_events_total\{.*method="sip_info"')" -ge 1 ] ||
  fail "the PBX's INFO was not played to the browser: rampart_xc_dtmf_events_total $(dpm 'rampart_xc_dtmf_events_total')"
[ "$(cpm 'rampart_cp_dtmf_total\{direction="sent",method="sip_info"')" = 2 ] ||
  fail "rampart_cp_dtmf_total sent: $(cpm 'rampart_cp_dtmf_total\{direction="sent"')"
ok "the PBX's INFO played as RFC 4733 by the transcoder; 2 INFO sent to the PBX"

step "end: processes alive, no call left"
wss_alive
for _ in $(seq 1 50); do [ "$(cpm rampart_cp_calls_active)" = 0 ] && break; sleep 0.1; done
[ "$(cpm rampart_cp_calls_active)" = 0 ] || fail "calls still active at the end"
echo "PASS: webrtc_transcode_test ($((SECONDS - t_start)) s)"
