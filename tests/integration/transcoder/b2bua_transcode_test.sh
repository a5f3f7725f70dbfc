#!/usr/bin/env bash
# A transcoded SIP call through the whole of Rampart (b2bua_lib.sh: real rampart-dataplane and
# rampart-controlplane, plus rampart-transcoder), in a lab of its own (prefix rtx<pid>-):
# a sipp caller on the wan side offers only Opus, a sipp UAS on the lan side (realm lan:
# codecs [PCMU, telephone-event], transcode [PCMU]) answers only PCMU. What a user would check:
#  1. Rampart offers the PBX PCMU + telephone-event/8000 (and no Opus), and answers the caller
#     with its own Opus (PT 111, minptime=10;useinbandfec=1) and telephone-event/48000;
#  2. audio both ways, played by xc_audio_peer at the media addresses the two SDPs name: tone
#     sweep correlation >= 0.90 and SNR >= 8 dB after time alignment, each direction;
#  2b. rampart-transcoder killed (SIGKILL) mid-call and started again: the dataplane notices the
#     new one (XcodeRestart), the control plane sends the call's setups again, and audio flows
#     both ways again with the same quality;
#  2c. RTCP both ways (xc_rtcp_peer.py on RTP port + 1), the PBX's compounds held 40 ms
#     (--rtcp-hold-ms: a one-way delay on its RTCP path; the lab kernel has no netem). Rampart
#     terminates RTCP per transcoded leg, so the round trip per leg is between Rampart's own
#     SRs and the party's blocks quoting them;
#  3. rampart_cp_transcoded_calls{realm="lan"} is 1 during the call and
#     rampart_cp_transcoded_calls_by_pair{pair="opus-PCMU"} counts it; both 0 after the BYE,
#     with no call, media port or flow left. The CDR's legs carry the 2c round trips: leg b
#     (Rampart <-> the PBX) 40 ms plus at most 15, leg a (Rampart <-> the caller) under 10 ms.
# usage: b2bua_transcode_test.sh SOURCE_DIR DATAPLANE CONTROLPLANE TRANSCODER XC_AUDIO_PEER
tag=rtx
xc=$4
peer=$5
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../sip/b2bua_preamble.sh
. "$1/tests/integration/sip/b2bua_preamble.sh" "$1" "$2" "$3"

# shellcheck source=xc_b2bua_lib.sh
. "$here/xc_b2bua_lib.sh"
xc_b2bua_up '{"codecs": ["PCMU", "telephone-event"], "transcode": ["PCMU"], "max_transcoded_calls": 4}'
sip_bg "$lan" uas 40 -sf "$here/uas_pcmu.xml" -i 198.18.3.2 -p 5080 -t u1 -m 1 -aa
sip_bg "$wan" uac 50 -sf "$here/uac_opus.xml" "$SBC" -s 7001 -i "$WAN_SIG" -p 5060 -t u1 \
  -d 26000 -m 1
xc_wait_transcoded
[ "$(cpm 'rampart_cp_transcoded_calls_by_pair\{pair="opus-PCMU"')" = 1 ] ||
  fail "codec pair not counted"

echo "1. the two SDPs"
offer_lan=$(awk '/^INVITE /,/a=sendrecv/' "$work/uas.msg")
answer_wan=$(awk '/^SIP\/2.0 200/,/a=sendrecv/' "$work/uac.msg" | tail -n 30)
grep -q "RTP/AVP 0 101" <<<"$offer_lan" || fail "offer to the PBX: $offer_lan"
grep -q "telephone-event/8000" <<<"$offer_lan" || fail "no telephone-event/8000: $offer_lan"
grep -qi "opus" <<<"$offer_lan" && fail "Opus offered to a PCMU-only realm: $offer_lan"
grep -q "RTP/AVP 111 110" <<<"$answer_wan" || fail "answer to the caller: $answer_wan"
grep -q "a=fmtp:111 minptime=10;useinbandfec=1" <<<"$answer_wan" || fail "Opus fmtp: $answer_wan"
grep -q "a=rtpmap:110 telephone-event/48000" <<<"$answer_wan" || fail "event: $answer_wan"
lport=$(grep -oE "m=audio [0-9]+ RTP/AVP 0 101" <<<"$offer_lan" | head -n1 | awk '{print $2}')
wport=$(grep -oE "m=audio [0-9]+ RTP/AVP 111 110" <<<"$answer_wan" | head -n1 | awk '{print $2}')
[ -n "$lport" ] && [ -n "$wport" ] || fail "media ports not found ($lport, $wport)"

echo "2. audio both ways through Rampart (wan port $wport, lan port $lport)"
nsx "$lan" "$peer" --local 198.18.4.2:5200 --remote "198.18.4.1:$lport" --send pcmu:0 \
  --recv pcmu:0 --signal sweep --ref sweep --seconds 3 >"$work/lan.json" &
lp=$!
nsx "$wan" "$peer" --local 198.18.2.2:5100 --remote "198.18.2.1:$wport" --send opus:111 \
  --recv opus:111 --signal sweep --ref sweep --seconds 3 >"$work/wan.json" || fail "wan peer"
wait "$lp" || fail "lan peer"
echo "  opus->pcmu (at the PBX):    $(cat "$work/lan.json")"
echo "  pcmu->opus (at the caller): $(cat "$work/wan.json")"
for f in lan wan; do
  /usr/bin/python3 - "$work/$f.json" <<'PY' || fail "$f: audio quality below threshold"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["received"] >= r["sent"] * 0.8 and r["corr"] >= 0.90 and r["snr_db"] >= 8 else 1)
PY
done

echo "2b. the transcoder killed and started again mid-call: the call's setups are replayed"
kill -KILL "$xc_pid"
wait "$xc_pid" 2>/dev/null || true
xc_start xc2
for _ in $(seq 1 50); do grep -q "transcoding set up again" "$work/cp.log" && break; sleep 0.1; done
grep -q "transcoding set up again" "$work/cp.log" ||
  fail "the control plane did not set the call up again: $(grep -iE 'xcode|transcod' "$work/cp.log" | tail -n 3)"
echo "  $(grep -m1 'transcoding set up again' "$work/cp.log")"
nsx "$lan" "$peer" --local 198.18.4.2:5200 --remote "198.18.4.1:$lport" --send pcmu:0 \
  --recv pcmu:0 --signal sweep --ref sweep --seconds 3 >"$work/lan2.json" &
lp=$!
nsx "$wan" "$peer" --local 198.18.2.2:5100 --remote "198.18.2.1:$wport" --send opus:111 \
  --recv opus:111 --signal sweep --ref sweep --seconds 3 >"$work/wan2.json" || fail "wan peer"
wait "$lp" || fail "lan peer"
echo "  opus->pcmu (at the PBX):    $(cat "$work/lan2.json")"
echo "  pcmu->opus (at the caller): $(cat "$work/wan2.json")"
for f in lan2 wan2; do
  /usr/bin/python3 - "$work/$f.json" <<'PY' || fail "$f: audio after the transcoder restart"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["received"] >= r["sent"] * 0.8 and r["corr"] >= 0.90 and r["snr_db"] >= 8 else 1)
PY
done
[ "$(cpm 'rampart_cp_dataplane_events_total\{type="xcode_restart"')" -ge 1 ] ||
  fail "no XcodeRestart event counted"

echo "2c. RTCP both ways, the PBX's reports held 40 ms"
rpeer="$here/xc_rtcp_peer.py"
nsx "$lan" /usr/bin/python3 "$rpeer" --local 198.18.4.2:5200 --remote "198.18.4.1:$lport" \
  --rtcp-local 5201 --rtcp-remote $((lport + 1)) --codec pcmu --ssrc 0xcafe0003 --seconds 10 \
  --rtcp-hold-ms 40 >"$work/lan_rtcp.json" &
lp=$!
nsx "$wan" /usr/bin/python3 "$rpeer" --local 198.18.2.2:5100 --remote "198.18.2.1:$wport" \
  --rtcp-local 5101 --rtcp-remote $((wport + 1)) --codec opus --ssrc 0xb0b0b0b3 --seconds 10 \
  >"$work/wan_rtcp.json" || fail "wan RTCP peer"
wait "$lp" || fail "lan RTCP peer"
for f in lan_rtcp wan_rtcp; do
  /usr/bin/python3 - "$work/$f.json" "$f" <<'PY' || fail "$f: $(cat "$work/$f.json")"
import json, sys
r = json.load(open(sys.argv[1]))
srs = [p for p in r["rtcp"] if p["pt"] == 200]
lsr = [b for b in r["blocks"] if b["lsr"] != 0]
print(f"  {sys.argv[2]}: {len(srs)} SRs from Rampart, {len(lsr)} blocks quoting this peer's SRs")
sys.exit(0 if srs and lsr else 1)
PY
done

echo "3. the call ends; nothing is left"
sip_wait uac 30
sip_wait uas 30
b2b_wait_idle 10
[ "$(cpm 'rampart_cp_transcoded_calls\{realm="lan"')" = 0 ] || fail "transcoded call still counted"
[ "$(cpm 'rampart_cp_transcoded_calls_by_pair\{pair="opus-PCMU"')" = 0 ] || fail "pair still counted"
cdr=""
for _ in $(seq 1 25); do
  cdr=$(/usr/bin/python3 "$src/tests/integration/ops/cdr_find.py" "$work/cdr/cdr.jsonl" \
    "r['result'] == 'answered'") && break
  sleep 0.2
done
[ -n "$cdr" ] || fail "no CDR for the call: $(cat "$work/cdr/cdr.jsonl" 2>/dev/null)"
/usr/bin/python3 - "$cdr" <<'PY' || fail "CDR round trips: $cdr"
import json, sys
legs = json.loads(sys.argv[1])["legs"]
a, b = legs["a"]["quality"], legs["b"]["quality"]
print(f"  CDR rtt_ms: leg a (caller) {a['rtt_ms']}, leg b (PBX, reports held 40 ms) {b['rtt_ms']}")
ok = a["rtt_ms"] is not None and b["rtt_ms"] is not None and a["rtcp"] and b["rtcp"]
sys.exit(0 if ok and 0 <= a["rtt_ms"] < 10 and 40 <= b["rtt_ms"] <= 55 else 1)
PY
b2b_alive
echo "PASS (t=$((SECONDS - t0))s)"
