#!/usr/bin/env bash
# In-band DTMF -> SIP INFO through the whole of Rampart (b2bua_lib.sh: real rampart-dataplane,
# rampart-controlplane and rampart-transcoder), in a lab of its own (prefix rdb<pid>-): the
# caller on wan (Opus, telephone-event/48000) is in a realm that hears DTMF as SIP INFO
# (realms[wan].sdp.dtmf: sip_info), the PBX on lan answers PCMU and plays its digits as in-band
# tones (no RFC 4733). The call is transcoded (Opus <-> PCMU), so rampart-transcoder hears the
# tones in the PBX's G.711 and the control plane asked it (DtmfReport.inband) to report them:
#  1. the PBX's in-band digits 5 and 9 reach the caller as SIP INFO (dtmf-relay bodies checked
#     by the sipp UAC), and never as RFC 4733 events in its media; audio flows both ways;
#  2. rampart_cp_dtmf_total{method="sip_info",direction="sent"} is 2 and the transcoder's
#     rampart_xc_dtmf_events_total{method="inband"} 2.
# usage: b2bua_inband_info_test.sh SOURCE_DIR DATAPLANE CONTROLPLANE TRANSCODER XC_AUDIO_PEER
tag=rdb
xc=$4
peer=$5
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../sip/b2bua_preamble.sh
. "$1/tests/integration/sip/b2bua_preamble.sh" "$1" "$2" "$3"

# shellcheck source=xc_b2bua_lib.sh
. "$here/xc_b2bua_lib.sh"
xc_b2bua_up '{"codecs": ["PCMU", "telephone-event"], "transcode": ["PCMU"]}' \
  '{"dtmf": "sip_info", "dtmf_info": "dtmf-relay"}'
sip_bg "$lan" uas 40 -sf "$here/uas_pcmu.xml" -i 198.18.3.2 -p 5080 -t u1 -m 1 -aa
sip_bg "$wan" uac 40 -sf "$here/uac_opus_info.xml" "$SBC" -s 7001 -i "$WAN_SIG" -p 5060 -t u1 \
  -d 4000 -m 1
xc_wait_transcoded
xc_media_ports "0 101" "111 110"

echo "1. media both ways for 3 s; the PBX plays 5 and 9 as in-band tones"
nsx "$lan" "$peer" --local 198.18.4.2:5200 --remote "198.18.4.1:$lport" --send pcmu:0 \
  --recv pcmu:0 --signal dtmf:59 --ref sweep --seconds 3 --events-pt 101 >"$work/lan.json" &
lp=$!
nsx "$wan" "$peer" --local 198.18.2.2:5100 --remote "198.18.2.1:$wport" --send opus:111 \
  --recv opus:111 --signal sweep --ref dtmf:59 --seconds 3 --events-pt 110 >"$work/wan.json" ||
  fail "wan peer"
wait "$lp" || fail "lan peer"
echo "  at the PBX:    $(cat "$work/lan.json")"
echo "  at the caller: $(cat "$work/wan.json")"
/usr/bin/python3 - "$work/wan.json" "$work/lan.json" <<'PY' || fail "events or audio not as expected"
import json, sys
wan = json.load(open(sys.argv[1]))
lan = json.load(open(sys.argv[2]))
ok = wan["events"] == "" and lan["events"] == ""
ok = ok and wan["received"] >= wan["sent"] * 0.8 and lan["received"] >= lan["sent"] * 0.8
sys.exit(0 if ok else 1)
PY

echo "2. the call ends; counters"
sip_wait uac 30 || fail "the caller did not get the PBX's digits as INFO: $(grep -A3 '^INFO' "$work/uac.msg" | tail -n 12)"
sip_wait uas 30
[ "$(cpm 'rampart_cp_dtmf_total\{direction="sent",method="sip_info"')" = 2 ] ||
  fail "rampart_cp_dtmf_total sent: $(cpm 'rampart_cp_dtmf_total\{direction="sent"')"
[ "$(dpm 'rampart_xc_dtmf_events_total\{.*method="inband"')" = 2 ] ||
  fail "xc inband events: $(dpm 'rampart_xc_dtmf_events_total\{.*method="inband"')"
b2b_wait_idle 10
b2b_alive
echo "PASS (t=$((SECONDS - t0))s)"
