#!/usr/bin/env bash
# CDR media quality against what a real receiver measured, through the real binaries: two calls
# wan -> Rampart -> lan, signalled by sipp (uac/uas_peer_media.xml), media from two
# rampart-media-peer processes (caller in wan, callee in lan, 5 s both ways, PCMU).
#   clean     no impairment: the CDR shows no loss, low jitter and MOS > 4.
#   impaired  the caller's peer drops 5 % of its packets (seeded, deterministic) and delays
#             each by a random 0-20 ms (--loss-pct 5 --jitter-ms 20): the lab kernel has no
#             sch_netem (CONFIG_NET_SCH_NETEM unset), so the impairment is the sender's own.
#             The CDR's leg a (the stream Rampart received from the caller) must match what the
#             callee's peer measured on the same stream after Rampart relayed it:
#               lost       within 2 packets (Rampart counts from the first packet it saw, the
#                          peer from packet 0; a drop at either end is seen by one side only);
#               loss_ratio within 0.01;
#               jitter_ms  within max(1.5 ms, 20 %) of the peer's RFC 3550 jitter: both run the
#                          same estimator on the same arrivals, offset only by Rampart's
#                          forwarding time, whose variation (worker polling, a shared 2-core
#                          test machine) is the allowance; both must lie in 3-12 ms (uniform
#                          0-20 ms delays give about J/3 = 6.7 ms).
#             Leg b (clean) must match the caller's peer the same way, and leg a's MOS must be
#             at least 0.3 below the clean call's.
#   clean and impaired send no RTCP: loss and jitter come from Rampart's own counters, and
#             rtt_ms must be null on both legs.
#   rtcp      both peers send RTCP SR/RR on RTP port + 1 (no rtcp-mux in the SDP) with LSR/DLSR,
#             and the callee's peer holds each of its RTCP compounds 40 ms (--rtcp-delay-ms: a
#             one-way delay on its RTCP path; the lab kernel has no netem). Rampart's round trip
#             per leg (RFC 3550 section 6.4.1 on the reports it relays) must be non-null: leg b
#             (Rampart <-> callee) 40 ms plus at most 15 ms, leg a (Rampart <-> caller) under
#             10 ms, and a + b within 5 ms of the round trip the caller's peer measured end to
#             end from the callee's reports.
# About 50 s.
# usage: cdr_quality_test.sh SOURCE_DIR DP_BIN CP_BIN MEDIA_PEER_BIN
tag=o12
mpeer=$4
# shellcheck source=../sip/b2bua_preamble.sh
. "$(dirname "$0")/../sip/b2bua_preamble.sh" "$@"
# shellcheck source=ops_lib.sh
. "$src/tests/integration/ops/ops_lib.sh"
O=$src/tests/integration/ops
LAN_SIG=198.18.3.2
LAN_MED=198.18.4.2

# Health checks only at start (below): an OPTIONS reaching a sipp UAS before its INVITE would
# take the place of the call it waits for.
B2B_SIP='{"options_interval_s": 3600}' ops_config 100
b2b_start
step "Rampart up"
# The UAS starts only once the start-up OPTIONS to its address has timed out (64 x T1): a
# retransmission reaching it would take the place of its call.
target_down() {
  nsx "$sbc" curl -sf --max-time 3 "http://$MGMT_ADDR:9100/metrics" |
    grep -q '^rampart_cp_target_up{target="sip:198.18.3.2:5080"} 0'
}
for _ in $(seq 1 100); do target_down && break; sleep 0.1; done
target_down || fail "the start-up OPTIONS to the UAS address did not end within 10 s"
step "start-up health check over"

peer_bg() {  # NS NAME ARGS...: a media peer in the background, its JSON in $work/NAME.json
  local ns=$1 name=$2
  shift 2
  timeout -k 2 25 ip netns exec "$ns" "$mpeer" --quiet "$@" >"$work/$name.json" \
    2>"$work/$name.err" &
  sip_pids+=($!)
  peer_pid=$!
}

sdp_of() {  # MSG_FILE START_REGEX: Rampart's media "ADDR PORT" from the SDP sipp received
  for _ in $(seq 1 50); do
    /usr/bin/python3 "$O/sdp_media.py" "$1" "$2" && return 0
    sleep 0.1
  done
  fail "no SDP in a message matching '$2' in $1"
}

callee_args=()
media_call() {  # NAME CALLEE WAN_PORT LAN_PORT NONCE [CALLER_PEER_ARGS...]; callee: $callee_args
  local name=$1 callee=$2 wport=$3 lport=$4 nonce=$5
  shift 5
  sip_bg "$lan" "${name}_uas" 30 -sf "$O/uas_peer_media.xml" -i "$LAN_SIG" -p 5080 -t u1 \
    -key peer_ip "$LAN_MED" -key peer_port "$lport" -m 1
  sip_bg "$wan" "${name}_uac" 30 -sf "$O/uac_peer_media.xml" "$SBC" -s "$callee" -i "$WAN_SIG" \
    -p 5070 -t u1 -key peer_ip "$WAN_MED" -key peer_port "$wport" -d 8000 -m 1
  local wan_far lan_far pids=()
  wan_far=$(sdp_of "$work/${name}_uac.msg" '^SIP/2.0 200')
  lan_far=$(sdp_of "$work/${name}_uas.msg" '^INVITE ')
  echo "   rampart media: wan ${wan_far/ /:}, lan ${lan_far/ /:}"
  local common=(--duration 5 --drain-ms 500 --nonce "$nonce")
  peer_bg "$lan" "${name}_callee" --local "$LAN_MED:$lport" --remote "${lan_far/ /:}" \
    --ssrc 0x0b0b0000 --expect-ssrc 0x0a0a0000 "${common[@]}" "${callee_args[@]}"
  pids+=("$peer_pid")
  peer_bg "$wan" "${name}_caller" --local "$WAN_MED:$wport" --remote "${wan_far/ /:}" \
    --ssrc 0x0a0a0000 --expect-ssrc 0x0b0b0000 "${common[@]}" "$@"
  pids+=("$peer_pid")
  local p
  for p in "${pids[@]}"; do
    wait "$p" || fail "media peer exited $?: $(cat "$work/${name}"_*.err)"
  done
  sip_wait "${name}_uac" 15
  sip_wait "${name}_uas" 10
}

step "clean call"
media_call clean 7001 7100 7400 11
cdr_wait 5 "r['callee'].startswith('sip:7001@') and r['result'] == 'answered'" >"$work/clean.cdr"

step "impaired call (caller sends with 5 % loss, 0-20 ms jitter)"
media_call impaired 7002 7110 7410 12 --loss-pct 5 --jitter-ms 20 --impair-seed 42
cdr_wait 5 "r['callee'].startswith('sip:7002@') and r['result'] == 'answered'" >"$work/impaired.cdr"

step "RTCP call (SR/RR both ways; the callee's RTCP path 40 ms one way)"
callee_args=(--rtcp separate --rtcp-delay-ms 40)
media_call rtcp 7003 7120 7420 13 --rtcp separate
callee_args=()
cdr_wait 5 "r['callee'].startswith('sip:7003@') and r['result'] == 'answered'" >"$work/rtcp.cdr"

step "CDR quality against the media peers"
/usr/bin/python3 - "$work" <<'PY' || fail "CDR quality does not match the media peers"
import json, sys
w = sys.argv[1]
load = lambda f: json.load(open(f"{w}/{f}"))
clean, imp = load("clean.cdr"), load("impaired.cdr")
ok = True

def check(what, cond):
    global ok
    print(f"   {'ok ' if cond else 'BAD'} {what}")
    ok &= bool(cond)

def compare(call, leg, cdr, peer):
    q, rx = cdr["legs"][leg]["quality"], peer["received"]
    print(f"   {call} leg {leg}: CDR packets {q['packets']} lost {q['lost']} "
          f"loss {q['loss_ratio']:.4f} jitter {q['jitter_ms']:.3f} ms mos {q['mos']:.2f} | peer "
          f"packets {rx['packets']} lost {rx['lost']} loss {rx['loss_ratio']:.4f} "
          f"jitter {rx['jitter_ms_mean']:.3f} ms")
    check(f"{call} {leg}: the peer got the stream (>= 200 packets, nothing corrupted)",
          rx["packets"] >= 200 and rx["garbage"] + rx["stale"] + rx["wrong_stream"] == 0)
    check(f"{call} {leg}: packets within 2", abs(q["packets"] - rx["packets"]) <= 2)
    check(f"{call} {leg}: lost within 2 packets", abs(q["lost"] - rx["lost"]) <= 2)
    check(f"{call} {leg}: loss ratio within 0.01", abs(q["loss_ratio"] - rx["loss_ratio"]) <= 0.01)
    tol = max(1.5, 0.2 * rx["jitter_ms_mean"])
    check(f"{call} {leg}: jitter within {tol:.2f} ms",
          abs(q["jitter_ms"] - rx["jitter_ms_mean"]) <= tol)
    return q

ca = compare("clean", "a", clean, load("clean_callee.json"))
cb = compare("clean", "b", clean, load("clean_caller.json"))
ia = compare("impaired", "a", imp, load("impaired_callee.json"))
ib = compare("impaired", "b", imp, load("impaired_caller.json"))
sent = load("impaired_caller.json")["sent"]
print(f"   impaired caller: sent {sent['packets']}, left out {sent['impaired_dropped']}")
check("clean: no loss, jitter < 3 ms, MOS > 4 on both legs",
      all(q["lost"] == 0 and q["jitter_ms"] < 3 and q["mos"] > 4 for q in (ca, cb, ib)))
check("impaired a: the loss is the sender's drops (within 1)",
      abs(ia["lost"] - sent["impaired_dropped"]) <= 1 and 0.02 <= ia["loss_ratio"] <= 0.09)
check("impaired a: jitter 3-12 ms", 3 <= ia["jitter_ms"] <= 12)
check("impaired a: MOS at least 0.3 below the clean call's", ia["mos"] <= ca["mos"] - 0.3)
check("no RTCP: rtt_ms null on every leg of the clean and impaired calls",
      all(c["legs"][l]["quality"]["rtt_ms"] is None for c in (clean, imp) for l in "ab"))
rt = load("rtcp.cdr")
ra, rb = rt["legs"]["a"]["quality"], rt["legs"]["b"]["quality"]
peer = load("rtcp_caller.json")["rtcp"]
print(f"   rtcp call: CDR rtt_ms a {ra['rtt_ms']} b {rb['rtt_ms']} (rtcp {ra['rtcp']}/{rb['rtcp']}); "
      f"caller's peer end to end {peer['rtt_ms']:.3f} ms ({peer['rtt_samples']} samples, "
      f"{peer['rtt_min_ms']:.3f}-{peer['rtt_max_ms']:.3f}); callee's peer "
      f"{load('rtcp_callee.json')['rtcp']['rtt_ms']:.3f} ms")
check("rtcp: rtt_ms known on both legs", ra["rtt_ms"] is not None and rb["rtt_ms"] is not None)
if ra["rtt_ms"] is not None and rb["rtt_ms"] is not None:
    check("rtcp: leg b (the delayed party) 40-55 ms", 40 <= rb["rtt_ms"] <= 55)
    check("rtcp: leg a under 10 ms", 0 <= ra["rtt_ms"] < 10)
    check("rtcp: a + b within 5 ms of the caller's end-to-end round trip",
          peer["rtt_samples"] > 0 and abs(ra["rtt_ms"] + rb["rtt_ms"] - peer["rtt_ms"]) <= 5)
    check("rtcp: MOS still > 4 (40 ms of round trip costs little)", rb["mos"] > 4)
sys.exit(0 if ok else 1)
PY
b2b_alive
b2b_stop_rampart
step "PASS"
