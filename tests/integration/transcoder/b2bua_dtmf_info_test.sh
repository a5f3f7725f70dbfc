#!/usr/bin/env bash
# DTMF interworking through the whole of Rampart (b2bua_lib.sh: real rampart-dataplane,
# rampart-controlplane and rampart-transcoder), in a lab of its own (prefix rdi<pid>-): the lan
# realm is a PBX that signals DTMF with SIP INFO (realms[lan].sdp.dtmf: sip_info), the caller on
# wan (Opus, telephone-event/48000) uses RFC 4733; the call is transcoded (Opus <-> PCMU).
#  1. the PBX's INFO (Signal=5, 200 ms) is answered 200 by Rampart and reaches the caller as
#     RFC 4733 events at 48 kHz: the digit once, with three end packets;
#  2. the caller's RFC 4733 digits 1 and # reach the PBX as INFO (dtmf-relay bodies checked by
#     the sipp UAS), and never as events in its media;
#  3. rampart_cp_dtmf_total counts 2 sent and 1 received, the transcoder's
#     rampart_xc_dtmf_events_total{method="sip_info"} 1, the dataplane's dtmf_signalled drops
#     every event packet taken out of the media; audio still flows both ways.
# usage: b2bua_dtmf_info_test.sh SOURCE_DIR DATAPLANE CONTROLPLANE TRANSCODER XC_AUDIO_PEER
tag=rdi
xc=$4
peer=$5
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../sip/b2bua_preamble.sh
. "$1/tests/integration/sip/b2bua_preamble.sh" "$1" "$2" "$3"

# shellcheck source=xc_b2bua_lib.sh
. "$here/xc_b2bua_lib.sh"
xc_b2bua_up '{"codecs": ["PCMU", "telephone-event"], "transcode": ["PCMU"], "dtmf": "sip_info", "dtmf_info": "dtmf-relay"}'
sip_bg "$lan" uas 40 -sf "$here/uas_pcmu_info.xml" -i 198.18.3.2 -p 5080 -t u1 -m 1
sip_bg "$wan" uac 40 -sf "$here/uac_opus.xml" "$SBC" -s 7001 -i "$WAN_SIG" -p 5060 -t u1 \
  -d 9000 -m 1
xc_wait_transcoded
xc_media_ports "0 101" "111 110"

echo "1-2. media both ways for 4.5 s; the PBX sends INFO 5, the caller RFC 4733 1 and #"
nsx "$lan" "$peer" --local 198.18.4.2:5200 --remote "198.18.4.1:$lport" --send pcmu:0 \
  --recv pcmu:0 --signal sweep --ref sweep --seconds 4.5 --events-pt 101 >"$work/lan.json" &
lp=$!
nsx "$wan" "$peer" --local 198.18.2.2:5100 --remote "198.18.2.1:$wport" --send opus:111 \
  --recv opus:111 --signal sweep --ref sweep --seconds 4.5 --events-pt 110 \
  --send-events "110:1#" >"$work/wan.json" || fail "wan peer"
wait "$lp" || fail "lan peer"
echo "  at the PBX:    $(cat "$work/lan.json")"
echo "  at the caller: $(cat "$work/wan.json")"
/usr/bin/python3 - "$work/wan.json" "$work/lan.json" <<'PY' || fail "DTMF or audio not as expected"
import json, sys
wan = json.load(open(sys.argv[1]))
lan = json.load(open(sys.argv[2]))
ok = wan["events"] == "5" and wan["event_ends"] == 3 and lan["events"] == ""
ok = ok and wan["received"] >= wan["sent"] * 0.8 and lan["received"] >= lan["sent"] * 0.7
sys.exit(0 if ok else 1)
PY

echo "3. the call ends; counters"
sip_wait uac 30
sip_wait uas 30 || fail "the PBX did not get the caller's digits as INFO: $(grep -A3 '^INFO' "$work/uas.msg" | tail -n 12)"
[ "$(cpm 'rampart_cp_dtmf_total\{direction="sent",method="sip_info"')" = 2 ] ||
  fail "rampart_cp_dtmf_total sent: $(cpm 'rampart_cp_dtmf_total\{direction="sent"')"
[ "$(cpm 'rampart_cp_dtmf_total\{direction="received",method="sip_info"')" = 1 ] ||
  fail "rampart_cp_dtmf_total received"
[ "$(dpm 'rampart_xc_dtmf_events_total\{.*method="sip_info"')" = 1 ] || fail "xc sip_info events"
[ "$(dpm 'rampart_dp_drops_total\{.*reason="dtmf_signalled"')" -ge 10 ] ||
  fail "event packets not dropped from the PBX's media: $(dpm 'rampart_dp_drops_total\{.*reason="dtmf_signalled"')"
b2b_wait_idle 10
b2b_alive
echo "PASS (t=$((SECONDS - t0))s)"
