#!/usr/bin/env bash
# RTCP terminated per leg of a transcoded call (issue 13), through the real rampart-dataplane
# and rampart-transcoder in namespaces of their own (tools/lab shape, prefix rxr<pid>-), flows
# and XcodeSetup programmed with rampart-flowctl the way the control plane does.
# 1. The browser leg (Opus) with rtcp-mux, the PBX leg (PCMU) with RTCP on its own port, both
#    ends played by xc_rtcp_peer.py, which leaves out every 20th (browser) or 10th (PBX) RTP
#    packet and sends its own SR/SDES once a second. Each end must receive SRs from Rampart's
#    output SSRC (the SSRC of the RTP it receives) with a report block about its own SSRC
#    whose cumulative and fractional loss match what it left out, whose extended highest
#    sequence matches what it sent, whose jitter is below 30 ms (the peers pace with the
#    system clock on a shared machine) and whose LSR/DLSR give a sane round trip; and never
#    an RTCP packet from the other end (no relaying). The dataplane drops no RTCP. At hang-up
#    (the flows deleted while the peers still listen) each end receives an RTCP BYE for
#    Rampart's output SSRC, in a compound led by Rampart's SR (RFC 3550 6.6).
# 2. The same with SDES-SRTP on the PBX leg, played by rampart-media-peer (SRTP and SRTCP
#    with libsrtp2, RTCP on its own port, 5% loss): it authenticates and decrypts Rampart's
#    SRs and measures a round trip from their block; the browser end still sees only Rampart.
#    At hang-up both ends receive their BYE, the PBX's through SRTCP.
# usage: xcode_rtcp_test.sh DATAPLANE TRANSCODER FLOWCTL DP_TOOL SOURCE_DIR MEDIA_PEER
set -euo pipefail
dp=$1
xc=$2
flowctl=$3
tool=$4
src=$5
media_peer=$6
peer="$src/tests/integration/transcoder/xc_rtcp_peer.py"
prefix="rxr$(( $$ % 100000 ))-"
shm="/rxr-$$-xc"
mport=$((20000 + ($$ + 17) % 20000))
work=$(mktemp -d /tmp/rxr-$$-XXXX)
# shellcheck source=../dataplane/lab_lib.sh
. "$src/tests/integration/dataplane/lab_lib.sh"
trap cleanup EXIT
fctl() { nsx "$sbc" "$flowctl" --shm "$shm" "$@"; }

W=198.18.2.1; B=198.18.2.2; L=198.18.4.1; P=198.18.4.2
WAN_SSRC=0xb0b0b0b0; LAN_SSRC=0xcafe0001
SECONDS_OF_CALL=12
LINGER=3  # the peers listen this long after their last packet; the flows go meanwhile

lab_start
ip netns exec "$sbc" "$xc" --shm "$shm" >"$work/xc.log" 2>&1 &
bg_pids+=("$!")
for _ in $(seq 1 50); do grep -q "attached" "$work/xc.log" && break; sleep 0.1; done
grep -q "attached" "$work/xc.log" || fail "transcoder did not attach: $(cat "$work/xc.log")"

# Browser leg B:5100 <-> W:20100 (rtcp-mux); PBX leg P:5200/5201 <-> L:30100/30101.
A=$(fctl add --worker 0 --in-port 0 --in-local $W:20100 --in-remote $B:5100 --rtcp-mux-in \
      --out-port 1 --out-local $L:30100 --out-remote $P:5200 --out-rtcp-local 30101 \
      --out-rtcp-remote 5201 --cookie 1) || fail "FlowAdd browser->PBX"
Bh=$(fctl add --worker 0 --in-port 1 --in-local $L:30100 --in-remote $P:5200 --out-port 0 \
       --out-local $W:20100 --out-remote $B:5100 --cookie 1) || fail "FlowAdd PBX->browser"
R=$(fctl add --worker 0 --in-port 1 --in-local $L:30101 --in-remote $P:5201 --rtcp-only \
      --out-port 0 --out-local $W:20100 --out-remote $B:5100 --cookie 1) ||
  fail "FlowAdd PBX RTCP port"
fctl xcode --worker 0 "$A" --from opus:111 --to pcmu:0 --opus-fec >/dev/null || fail "xcode A"
fctl xcode --worker 0 "$Bh" --from pcmu:0 --to opus:111 --opus-fec >/dev/null || fail "xcode B"

echo "1. a transcoded call, 5% loss from the browser, 10% from the PBX, ${SECONDS_OF_CALL} s"
nsx "$lan" /usr/bin/python3 "$peer" --local $P:5200 --remote $L:30100 --rtcp-local 5201 \
  --rtcp-remote 30101 --codec pcmu --ssrc $LAN_SSRC --drop-every 10 \
  --seconds $SECONDS_OF_CALL --linger $LINGER >"$work/lan.json" &
lp=$!
nsx "$wan" /usr/bin/python3 "$peer" --local $B:5100 --remote $W:20100 --codec opus \
  --ssrc $WAN_SSRC --drop-every 20 --seconds $SECONDS_OF_CALL --linger $LINGER \
  >"$work/wan.json" &
wp=$!
# hang_up HANDLE...: the flows deleted while the peers listen (the control plane's FlowDels).
hang_up() {
  sleep $((SECONDS_OF_CALL + 1))
  local h
  for h in "$@"; do
    fctl del --worker 0 "$h" >/dev/null || fail "FlowDel $h"
  done
}
hang_up "$A" "$Bh" "$R"
wait "$wp" || fail "browser peer"
wait "$lp" || fail "PBX peer"

# check FILE NAME CLOCK OTHER_SSRC LOSS_FRACTION
check() {
  /usr/bin/python3 - "$@" <<'PY' || fail "$2: $(cat "$1")"
import json, sys
r = json.load(open(sys.argv[1]))
name, clock, other, loss = sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 0), float(sys.argv[5])
def need(ok, what):
    if not ok:
        sys.exit(f"{name}: {what}")
need(len(r["rtp_ssrcs"]) == 1 and r["rtp_received"] > 100, "transcoded RTP from one SSRC")
ours = r["rtp_ssrcs"][0]
srs = [p for p in r["rtcp"] if p["pt"] == 200]
need(len(srs) >= 2, f"at least 2 SRs from Rampart, got {len(srs)}")
need(all(p["sender"] == ours for p in r["rtcp"]), "every RTCP packet from Rampart's output SSRC")
need(not any(p["sender"] == other for p in r["rtcp"]), "the other leg's RTCP relayed")
b = [x for x in r["blocks"] if not x["after_end"]]  # not the BYE's: it covers the silence after
need(len(b) >= 2, "report blocks about this peer's SSRC")
for x in b:
    need(abs(x["lost"] - x["left_out_so_far"]) <= 2, f"cumulative loss {x}")
    need(0 <= x["highest_sent"] - x["ext_max"] <= 3, f"extended highest sequence {x}")
    need(x["jitter"] * 1000 / clock < 30, f"jitter above 30 ms {x}")
for x in b[1:]:  # the first interval may be short; later ones span seconds
    need(loss * 0.6 <= x["fraction"] / 256 <= loss * 1.5, f"fraction lost {x}")
need(any(x["lsr"] != 0 for x in b), "LSR from this peer's SRs")
need(r["rtt_ms"] and all(-1 <= t < 100 for t in r["rtt_ms"]), f"round trip {r['rtt_ms']}")
byes = [x for x in r["bye"] if x["ssrc"] == ours and x["sender"] == ours and x["first_pt"] == 200]
need(len(byes) == 1 and len(r["bye"]) == 1, f"one BYE for {ours:#010x} after Rampart's SR: {r['bye']}")
print(f"  {name}: {len(srs)} SRs from {ours:#010x}, blocks lost/fraction/jitter "
      f"{[(x['lost'], x['fraction'], x['jitter']) for x in b]}, rtt ms {r['rtt_ms']}, "
      f"BYE {byes[0]}")
PY
}
check "$work/wan.json" browser 48000 $LAN_SSRC 0.05
check "$work/lan.json" PBX 8000 $WAN_SSRC 0.10
echo "2. SDES-SRTP on the PBX leg (rampart-media-peer, SRTCP on its own port, 5% loss)"
suite=AES_CM_128_HMAC_SHA1_80
k_in=$(head -c 30 /dev/urandom | base64 -w0)   # PBX -> Rampart
k_out=$(head -c 30 /dev/urandom | base64 -w0)  # Rampart -> PBX
A2=$(fctl add --worker 0 --in-port 0 --in-local $W:20300 --in-remote $B:5300 --rtcp-mux-in \
       --out-port 1 --out-local $L:30300 --out-remote $P:5400 --out-rtcp-local 30301 \
       --out-rtcp-remote 5401 --srtp-out "$suite:$k_out" --cookie 2) || fail "FlowAdd SRTP A"
B2=$(fctl add --worker 0 --in-port 1 --in-local $L:30300 --in-remote $P:5400 \
       --srtp-in "$suite:$k_in" --out-port 0 --out-local $W:20300 --out-remote $B:5300 \
       --cookie 2) || fail "FlowAdd SRTP B"
R2=$(fctl add --worker 0 --in-port 1 --in-local $L:30301 --in-remote $P:5401 --rtcp-only \
       --srtp-in "$suite:$k_in" --out-port 0 --out-local $W:20300 --out-remote $B:5300 \
       --cookie 2) || fail "FlowAdd SRTP RTCP port"
fctl xcode --worker 0 "$A2" --from opus:111 --to pcmu:0 >/dev/null || fail "xcode SRTP A"
fctl xcode --worker 0 "$B2" --from pcmu:0 --to opus:111 >/dev/null || fail "xcode SRTP B"
nsx "$lan" "$media_peer" --local $P:5400 --remote $L:30300 --mode both --rtcp separate \
  --srtp $suite --send-key "$k_in" --recv-key "$k_out" --payload-type 0 --payload-bytes 160 \
  --ssrc 0xcafe0002 --loss-pct 5 --duration $SECONDS_OF_CALL --drain-ms $((LINGER * 1000)) \
  --quiet >"$work/srtp_lan.json" 2>"$work/srtp_lan.err" &
lp=$!
nsx "$wan" /usr/bin/python3 "$peer" --local $B:5300 --remote $W:20300 --codec opus \
  --ssrc 0xb0b0b0b1 --drop-every 20 --seconds $SECONDS_OF_CALL --linger $LINGER \
  >"$work/srtp_wan.json" &
wp=$!
hang_up "$A2" "$B2" "$R2"
wait "$wp" || fail "browser peer (SRTP call)"
wait "$lp" || fail "rampart-media-peer: $(cat "$work/srtp_lan.err")"
check "$work/srtp_wan.json" browser 48000 0xcafe0002 0.05
/usr/bin/python3 - "$work/srtp_lan.json" <<'PY' || fail "SRTCP leg: $(cat "$work/srtp_lan.json")"
import json, sys
def find(o):  # the media peer's RTCP totals, wherever the report nests them
    if isinstance(o, dict):
        if "auth_failed" in o and "rtt_samples" in o:
            return o
        for v in o.values():
            if (r := find(v)) is not None:
                return r
    return None
r = find(json.load(open(sys.argv[1])))
ok = r and r["sr"] >= 2 and r["auth_failed"] == 0 and r["garbage"] == 0 and \
    r["rtt_samples"] >= 1 and 0 <= r["rtt_max_ms"] < 100 and \
    r["bye"] == 1 and r["bye_ssrc"] == r["sr_ssrc"] and r["bye_ssrc"] not in (0, 0xcafe0002, 0xb0b0b0b1)
print(f"  PBX (SRTCP): {r}")
sys.exit(0 if ok else 1)
PY

rtcp_drops=$(metric 'reason="xcode_rtcp"')
[ "${rtcp_drops:-0}" -eq 0 ] || fail "dataplane dropped $rtcp_drops RTCP packets of the call"
# Rampart's own side: the peers' reports terminated, its reports sent, round trips measured.
xc_in=$(metric '^rampart_xc_rtcp_total\{.*direction="in"')
xc_out=$(metric '^rampart_xc_rtcp_total\{.*direction="out"')
xc_rtt=$(metric '^rampart_xc_rtcp_rtt_samples_total')
xc_bad=$(metric '^rampart_xc_rtcp_bad_total')
xc_bye=$(metric '^rampart_xc_rtcp_bye_total')
refused=$(metric '^rampart_dp_xcode_refused_total')
echo "  transcoder: rtcp in $xc_in, out $xc_out, bad $xc_bad, round trips $xc_rtt, BYEs $xc_bye;" \
  "dataplane refused ${refused:-0}"
[ "${xc_in:-0}" -ge 30 ] && [ "${xc_out:-0}" -ge 8 ] && [ "${xc_rtt:-0}" -ge 4 ] &&
  [ "${xc_bad:-1}" -eq 0 ] && [ "${xc_bye:-0}" -eq 4 ] && [ "${refused:-0}" -eq 0 ] ||
  fail "transcoder RTCP counters"
kill -0 "$dp_pid" || fail "dataplane died"
echo "PASS"
