#!/usr/bin/env bash
# rampartctl against live calls in the lab (ops_lib.sh), what an operator would do:
#  1. a caller on the wan side calls the PBX echo (600); `rampartctl calls list` shows it, `calls
#     show` gives both legs with codecs and flows whose packet counts grow between two looks;
#  2. `rampartctl calls end` as operator: both legs get a BYE (the caller's sipp answers it; the
#     BYE toward the PBX is on the lan wire); the CDR says answered, 200, ended by
#     operator:test-operator, with per-leg packets and a MOS;
#  3. alice registers through Rampart; `registrations list` shows her binding, `registrations
#     remove` deletes it (and the registration gauge drops to 0);
#  4. a config reload during a call: a new route applies live, a changed media port range is
#     reported as needing a restart; the call goes on (its packets still grow); a broken file
#     is refused naming the key and the running routes are unchanged; SIGHUP with the broken
#     file is refused too;
#  5. the audit log holds the actions with who and from where; `rampartctl audit verify` passes,
#     then fails (exit 7) on an edited line and on a deleted line.
# About 60 s. usage: ctl_call_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rop
# shellcheck source=../sip/b2bua_preamble.sh
. "$(dirname "$0")/../sip/b2bua_preamble.sh" "$@"
# shellcheck source=ops_lib.sh
. "$src/tests/integration/ops/ops_lib.sh"
jq_py() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

ops_config 100
b2b_start
step "Rampart up"

call_id() {  # the id of the only confirmed call Rampart has (bounded wait)
  local id=""
  for _ in $(seq 1 50); do
    id=$(CTL_ROLE=viewer ctl --json calls list --state confirmed |
      jq_py 'd["calls"][0]["id"] if d["calls"] else ""')
    [ -n "$id" ] && { echo "$id"; return 0; }
    sleep 0.1
  done
  fail "no confirmed call listed"
}
a_packets() {  # ID: packets Rampart received from the caller so far
  CTL_ROLE=viewer ctl --json calls show "$1" |
    jq_py 'sum(f["stats"]["packets"] for f in d["flows"] if f["from_leg"]=="a" and not f["rtcp"])'
}

step "1. a live call, listed and watched"
sip_capture_start "$lan" lan-sig lsig 60 udp
sip_bg "$wan" caller1 30 -sf "$S/uac_wait_bye.xml" "$SBC" -s 600 -i "$WAN_SIG" -p 5060 -t u1 \
  -mi "$WAN_MED" -mp 7000 -m 1
id=$(call_id)
CTL_ROLE=viewer ctl calls list
CTL_ROLE=viewer ctl calls show "$id" >"$work/show.txt"
grep -q "codecs PCMA" "$work/show.txt" || fail "calls show lists no PCMA codec: $(cat "$work/show.txt")"
p1=$(a_packets "$id")
sleep 1.5
p2=$(a_packets "$id")
echo "   packets from the caller: $p1 then $p2"
[ "$p2" -gt "$p1" ] && [ "$p2" -ge 50 ] || fail "media statistics do not grow ($p1 -> $p2)"

step "2. ended by the operator"
CTL_ROLE=operator ctl calls end "$id"
sip_wait caller1 10  # the caller got its BYE and answered it
sleep 0.5
sip_capture_stop lsig
byes=$(sip_grep_wire lsig "BYE sip:")
[ "$byes" -ge 1 ] || fail "no BYE toward the PBX on the lan wire"
rec=$(cdr_wait 5 "r['ended_by'] == 'operator:test-operator'")
echo "   CDR: ${rec:0:300}"
ok=$(jq_py 'd["result"]=="answered" and d["sip_status"]==200 and d["legs"]["a"]["quality"]["packets"]>=50 and d["legs"]["a"]["codec"] in ("PCMA","PCMU") and d["legs"]["b"]["codec"] in ("PCMA","PCMU") and d["legs"]["b"]["quality"]["packets"]>=50 and d["legs"]["a"]["quality"]["mos"]>4' <<<"$rec")
[ "$ok" = True ] || fail "CDR fields wrong: $rec"
b2b_wait_idle 10

step "3. a registration, listed and removed"
sip_run "$wan" reg_alice 10 -sf "$S/uac_register_digest.xml" "$SBC" -s alice \
  -ap "$(sip_password alice)" -i "$WAN_SIG" -p 5070 -t u1 -m 1
CTL_ROLE=viewer ctl registrations list
rid=$(CTL_ROLE=viewer ctl --json registrations list --user alice |
  jq_py 'd["registrations"][0]["id"] if d["registrations"] else ""')
[ -n "$rid" ] || fail "alice's binding is not listed"
CTL_ROLE=operator ctl registrations remove "$rid"
n=$(CTL_ROLE=viewer ctl --json registrations list | jq_py 'd["total"]')
[ "$n" = 0 ] || fail "$n binding(s) left after remove"
[ "$(cpm rampart_cp_registrations_active)" = 0 ] || fail "registrations gauge not 0"

step "4. reload during a call"
sip_bg "$wan" caller2 40 -sf "$S/uac_wait_bye.xml" "$SBC" -s 600 -i "$WAN_SIG" -p 5061 -t u1 \
  -mi "$WAN_MED" -mp 7002 -m 1
id2=$(call_id)
cp "$config" "$work/rampart.yaml.orig"
/usr/bin/python3 "$src/tests/integration/ops/edit_config.py" "$config" add_route shrink_ports
CTL_ROLE=operator ctl config reload | tee "$work/reload.txt"
grep -q "^routes\[0\]\..*(live)" "$work/reload.txt" || fail "the new route is not applied live"
grep -q "realms\[1\].media.port_max.*(needs restart)" "$work/reload.txt" ||
  fail "the port range change is not reported as needing a restart"
CTL_ROLE=viewer ctl routes | grep -q "^added-live" || fail "the new route is not in force"
p1=$(a_packets "$id2")
sleep 1
p2=$(a_packets "$id2")
[ "$p2" -gt "$p1" ] || fail "the call's media stopped after the reload ($p1 -> $p2)"
echo "   call $id2 still up after the reload, packets $p1 -> $p2"
sed -i 's/controlplane_port: 9100/controlplane_port: 70000/' "$config"
rc=0
CTL_ROLE=operator ctl config reload >"$work/bad.txt" 2>&1 || rc=$?
[ "$rc" = 6 ] || fail "broken file: exit $rc, want 6"
grep -q "management.controlplane_port" "$work/bad.txt" || fail "refusal does not name the key"
CTL_ROLE=viewer ctl routes | grep -q "^added-live" || fail "routes changed after a refused reload"
kill -HUP "$cp_pid"
for _ in $(seq 1 30); do
  grep -q "reload refused: management.controlplane_port" "$work/cp.log" && break
  sleep 0.1
done
grep -q "reload refused: management.controlplane_port" "$work/cp.log" ||
  fail "SIGHUP reload not refused by key"
cp "$work/rampart.yaml.orig" "$config"
[ "$(CTL_ROLE=viewer ctl --json calls list | jq_py 'd["total"]')" = 1 ] || fail "the call was dropped"
CTL_ROLE=operator ctl calls end "$id2" >/dev/null
sip_wait caller2 10

step "5. the audit log"
echo "   records: $(grep -c . "$work/audit.log")"
grep '"action":"DELETE /api/v1/calls/'"$id"'"' "$work/audit.log" | grep -q '"who":"test-operator"' ||
  fail "the call's end is not audited with who ended it"
grep -q '"from":"signal"' "$work/audit.log" || fail "SIGHUP reload not audited"
ctl audit verify "$work/audit.log"
cp "$work/audit.log" "$work/audit.edited"
sed -i '3s/"status":200/"status":201/' "$work/audit.edited"
rc=0
ctl audit verify "$work/audit.edited" || rc=$?
[ "$rc" = 7 ] || fail "edited audit log: exit $rc, want 7"
sed '2d' "$work/audit.log" >"$work/audit.deleted"
rc=0
ctl audit verify "$work/audit.deleted" || rc=$?
[ "$rc" = 7 ] || fail "audit log with a deleted line: exit $rc, want 7"
b2b_alive
b2b_stop_rampart
step "PASS"
