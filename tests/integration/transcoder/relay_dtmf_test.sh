#!/usr/bin/env bash
# DTMF interworking on a relayed call (b2bua_lib.sh: real rampart-dataplane and
# rampart-controlplane), in a lab of its own (prefix rdr<pid>-): the lan realm is a PBX that
# signals DTMF with SIP INFO (realms[lan].sdp.dtmf: sip_info), the caller on wan uses RFC 4733;
# both speak PCMU, so the media is relayed, not transcoded.
#  1. the PBX's INFO (Signal=5, 200 ms) is answered 200 by Rampart and the dataplane worker plays
#     it into the relayed stream toward the caller as RFC 4733 events at 8 kHz: the digit once,
#     three end packets, and no sequence number used twice (the relayed packets after the events
#     are shifted);
#  2. the caller's RFC 4733 digits 1 and # reach the PBX as INFO (bodies checked by the sipp
#     UAS), and never as events in its media; audio flows both ways, the call is not transcoded;
#  3. rampart_cp_dtmf_total counts 2 sent and 1 received.
# usage: relay_dtmf_test.sh SOURCE_DIR DATAPLANE CONTROLPLANE TRANSCODER XC_AUDIO_PEER
tag=rdr
xc=$4
peer=$5
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../sip/b2bua_preamble.sh
. "$1/tests/integration/sip/b2bua_preamble.sh" "$1" "$2" "$3"

# shellcheck source=xc_b2bua_lib.sh
. "$here/xc_b2bua_lib.sh"
xc_b2bua_up '{"codecs": ["PCMU", "telephone-event"], "dtmf": "sip_info", "dtmf_info": "dtmf-relay"}'
# The caller: uac_opus.xml offering PCMU and telephone-event/8000 instead.
sed -e 's#m=audio 5100 RTP/AVP 111 110#m=audio 5100 RTP/AVP 0 101#' -e '/a=rtpmap:111/d' \
  -e '/a=fmtp:111/d' -e 's#a=rtpmap:110 telephone-event/48000#a=rtpmap:101 telephone-event/8000#' \
  -e 's#a=fmtp:110#a=fmtp:101#' "$here/uac_opus.xml" >"$work/uac_pcmu.xml"
grep -q "RTP/AVP 0 101" "$work/uac_pcmu.xml" || fail "uac_pcmu.xml not made"
sip_bg "$lan" uas 40 -sf "$here/uas_pcmu_info.xml" -i 198.18.3.2 -p 5080 -t u1 -m 1
sip_bg "$wan" uac 40 -sf "$work/uac_pcmu.xml" "$SBC" -s 7001 -i "$WAN_SIG" -p 5060 -t u1 \
  -d 9000 -m 1
for _ in $(seq 1 50); do grep -q "^SIP/2.0 200" "$work/uac.msg" 2>/dev/null && break; sleep 0.2; done
xc_media_ports "0 101" "0 101"

echo "1-2. media both ways for 4.5 s; the PBX sends INFO 5, the caller RFC 4733 1 and #"
nsx "$lan" "$peer" --local 198.18.4.2:5200 --remote "198.18.4.1:$lport" --send pcmu:0 \
  --recv pcmu:0 --signal sweep --ref sweep --seconds 4.5 --events-pt 101 >"$work/lan.json" &
lp=$!
nsx "$wan" "$peer" --local 198.18.2.2:5100 --remote "198.18.2.1:$wport" --send pcmu:0 \
  --recv pcmu:0 --signal sweep --ref sweep --seconds 4.5 --events-pt 101 \
  --send-events "101:1#" >"$work/wan.json" || fail "wan peer"
wait "$lp" || fail "lan peer"
echo "  at the PBX:    $(cat "$work/lan.json")"
echo "  at the caller: $(cat "$work/wan.json")"
/usr/bin/python3 - "$work/wan.json" "$work/lan.json" <<'PY' || fail "DTMF or audio not as expected"
import json, sys
wan = json.load(open(sys.argv[1]))
lan = json.load(open(sys.argv[2]))
ok = wan["events"] == "5" and wan["event_ends"] == 3 and wan["seq_dups"] == 0 and lan["events"] == ""
ok = ok and wan["received"] >= wan["sent"] * 0.8 and lan["received"] >= lan["sent"] * 0.7
ok = ok and wan["corr"] >= 0.9 and lan["corr"] >= 0.9
sys.exit(0 if ok else 1)
PY
[ "$(cpm 'rampart_cp_transcoded_calls\{realm="lan"')" = 0 ] || fail "the call was transcoded"

echo "3. the call ends; counters"
sip_wait uac 30
sip_wait uas 30 || fail "the PBX did not get the caller's digits as INFO: $(grep -A3 '^INFO' "$work/uas.msg" | tail -n 12)"
[ "$(cpm 'rampart_cp_dtmf_total\{direction="sent",method="sip_info"')" = 2 ] ||
  fail "rampart_cp_dtmf_total sent: $(cpm 'rampart_cp_dtmf_total\{direction="sent"')"
[ "$(cpm 'rampart_cp_dtmf_total\{direction="received",method="sip_info"')" = 1 ] ||
  fail "rampart_cp_dtmf_total received"
echo "PASS (t=$((SECONDS - t0))s)"
