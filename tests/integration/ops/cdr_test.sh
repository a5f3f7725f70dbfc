#!/usr/bin/env bash
# CDRs for calls with each result, through the real binaries and the lab PBX (ops_lib.sh):
#   answered (the caller hangs up), busy (486), cancelled (the caller gives up while it rings),
#   failed (a route to nobody), media timeout (the caller's 3 s of media end, the call stays
#   up; with dataplane.idle_timeout_s = 3 the dataplane reports the flows idle, Rampart checks
#   that no RTP flow of the call carried a packet for 3 s (a silent RTCP flow alone ended the
#   call after 3 s before) and sends BYE to both sides).
# Each record is checked for its result, SIP status, who ended it and its times; the answered
# one for per-leg packets and a MOS. About 35 s. usage: cdr_test.sh SOURCE_DIR DP_BIN CP_BIN
tag=rop
# shellcheck source=../sip/b2bua_preamble.sh
. "$(dirname "$0")/../sip/b2bua_preamble.sh" "$@"
# shellcheck source=ops_lib.sh
. "$src/tests/integration/ops/ops_lib.sh"

ops_config 100
/usr/bin/python3 "$src/tests/integration/ops/edit_config.py" "$config" short_idle
b2b_start
step "Rampart up"

step "answered"
sip_run "$wan" answered 20 -sf "$S/uac_call.xml" "$SBC" -s 600 -i "$WAN_SIG" -p 5060 -t u1 \
  -mi "$WAN_MED" -mp 7000 -d 2000 -m 1
cdr_wait 5 "r['result'] == 'answered' and r['sip_status'] == 200 and r['ended_by'] == 'caller' \
  and r['end_reason'] == 'bye_caller' and r['answer_ms'] >= r['ringing_ms'] >= r['start_ms'] \
  and 1.5 < r['duration_s'] < 5 and r['legs']['a']['quality']['packets'] >= 50 \
  and r['legs']['b']['quality']['packets'] >= 20 and r['legs']['a']['quality']['mos'] > 4" |
  cut -c1-200

step "busy"
sip_run "$wan" busy 10 -sf "$S/uac_busy.xml" "$SBC" -s 486 -i "$WAN_SIG" -p 5061 -t u1 \
  -mi "$WAN_MED" -mp 7002 -m 1
cdr_wait 5 "r['result'] == 'busy' and r['sip_status'] == 486 and r['ended_by'] == 'callee' \
  and r['answer_ms'] is None and r['duration_s'] == 0" | cut -c1-200

step "cancelled"
sip_run "$wan" cancel 15 -sf "$S/uac_cancel.xml" "$SBC" -s 408 -i "$WAN_SIG" -p 5062 -t u1 \
  -mi "$WAN_MED" -mp 7004 -m 1
cdr_wait 5 "r['result'] == 'cancelled' and r['sip_status'] == 487 and r['ended_by'] == 'caller' \
  and r['answer_ms'] is None" | cut -c1-200

step "failed (a route to nobody)"
sip_run_fail "$wan" failed 20 -sf "$S/uac_call.xml" "$SBC" -s 7000 -i "$WAN_SIG" -p 5063 -t u1 \
  -mi "$WAN_MED" -mp 7006 -m 1
cdr_wait 15 "r['result'] in ('failed', 'timeout') and r['sip_status'] >= 400 \
  and r['answer_ms'] is None and r['route'] == 'to-uas'" | cut -c1-200

step "media timeout (media stops, the call stays up)"
# Not sip_run: this sipp exits 255 after such a call although its trace shows the exchange
# complete (BYE received, 200 sent); the trace is what is checked.
sip_bg "$wan" mediato 30 -sf "$S/uac_wait_bye.xml" "$SBC" -s 600 -i "$WAN_SIG" -p 5064 -t u1 \
  -mi "$WAN_MED" -mp 7008 -m 1
cdr_wait 20 "r['result'] == 'media_timeout' and r['end_reason'] == 'media_idle' \
  and r['ended_by'] == 'rampart' and 5.5 < r['duration_s'] < 12 \
  and r['legs']['a']['quality']['packets'] >= 90" | cut -c1-200
for _ in $(seq 1 30); do grep -q '^SIP/2.0 200' <(sed -n '/^BYE /,$p' "$work/mediato.msg") && break; sleep 0.1; done
grep -q '^SIP/2.0 200' <(sed -n '/^BYE /,$p' "$work/mediato.msg") ||
  fail "the caller got no BYE from Rampart (or did not answer it)"

n=$(grep -c . "$work/cdr/cdr.jsonl")
[ "$n" = 5 ] || fail "$n CDR lines for 5 calls"
[ "$(cpm 'rampart_cp_call_records_total\{realm="wan",result="busy"')" = 1 ] ||
  fail "call_records_total{busy} is not 1"
b2b_alive
b2b_stop_rampart
step "PASS"
