#!/usr/bin/env bash
# The management API end to end, with the real binaries (ops_lib.sh):
#  1. from the management namespace: health and readiness without a token; every operation of
#     the served OpenAPI description with no token, a wrong one and each role's token (401 /
#     403 / access as the description says; nothing documented unserved);
#  2. unreachable from the wan and lan namespaces (the API listens on the management address
#     only; nothing on the realms' addresses);
#  3. rampartctl: tables and --json, exit codes (no token 4, unknown call 5), a refused config
#     file naming its key (6), token hashing;
#  4. the API's own metrics.
#  Also: rampartctl status shows both media ports with link up (table and --json), and the
#  dataplane's rampart_dp_port_link_up says the same.
# About 30 s. usage: api_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rop
# shellcheck source=../sip/b2bua_preamble.sh
. "$(dirname "$0")/../sip/b2bua_preamble.sh" "$@"
# shellcheck source=ops_lib.sh
. "$src/tests/integration/ops/ops_lib.sh"

ops_config 100
b2b_start
step "Rampart up, API on $API_URL"

step "1. from the management namespace"
out=$(api "$mgt" GET /api/v1/health)
[ "$(tail -n1 <<<"$out")" = "HTTP 200" ] || fail "health: $out"
out=$(api "$mgt" GET /api/v1/ready)
[ "$(tail -n1 <<<"$out")" = "HTTP 200" ] && grep -q '"ready": true' <<<"$out" || fail "ready: $out"
out=$(api "$mgt" GET /api/v1/status)
[ "$(tail -n1 <<<"$out")" = "HTTP 401" ] || fail "status without a token: $out"
nsx "$mgt" /usr/bin/python3 "$src/tests/integration/ops/api_matrix.py" "$API_URL" "$CA" "$work" \
  >"$work/matrix.log" 2>&1 || { cat "$work/matrix.log"; fail "role matrix"; }
tail -n1 "$work/matrix.log"

step "2. unreachable from wan and lan"
for ns in "$wan" "$lan"; do
  for addr in "$MGMT_ADDR" 198.18.1.1 198.18.3.1; do
    if nsx "$ns" curl -sk --max-time 2 -o /dev/null "https://$addr:9443/api/v1/health"; then
      fail "API answered from $ns at $addr"
    fi
  done
done
echo "   no answer from $wan or $lan"

step "3. rampartctl"
rc=0; ctl status >/dev/null 2>"$work/ctl.err" || rc=$?
[ "$rc" = 4 ] || fail "rampartctl without a token exited $rc, want 4"
export CTL_ROLE=viewer
ctl status >"$work/status.txt"
head -n 4 "$work/status.txt"
grep -q "^dataplane.connected: true" "$work/status.txt" || fail "status: no connected dataplane"
# Link state of both media ports as the dataplane's PMD (net_af_packet, up once started)
# reports it: the table and the JSON, checked against the config's two media ports.
grep -Eq "^0 +wan .* up " "$work/status.txt" && grep -Eq "^1 +lan .* up " "$work/status.txt" ||
  fail "status: media ports not shown up: $(cat "$work/status.txt")"
ctl --json status | /usr/bin/python3 -c '
import json, sys
p = json.load(sys.stdin)["media_ports"]
assert [x["realm"] for x in p] == ["wan", "lan"], p
assert all(x["link_up"] is True and x["duplex"] in ("full", "half") for x in p), p
assert all(x["speed_mbps"] is None or x["speed_mbps"] > 0 for x in p), p' ||
  fail "status JSON: media port link state wrong"
echo "   media ports: $(grep -E '^[01] ' "$work/status.txt" | tr -s ' ' | paste -sd ';')"
[ "$(dpm 'rampart_dp_port_link_up\{')" = 2 ] || fail "rampart_dp_port_link_up is not 1 on both ports"
ctl --json version | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["process"]=="controlplane", d'
ctl routes | grep -q "to-pbx .*sip:198.18.3.2:5060" || fail "routes table lacks to-pbx"
rc=0; ctl calls show 12345 2>/dev/null || rc=$?
[ "$rc" = 5 ] || fail "unknown call: exit $rc, want 5"
rc=0; ctl calls end 12345 2>/dev/null || rc=$?
[ "$rc" = 4 ] || fail "viewer ending a call: exit $rc, want 4"
sed 's/controlplane_port: 9100/controlplane_port: 70000/' "$config" >"$work/bad.yaml"
export CTL_ROLE=operator
rc=0; ctl config validate "$work/bad.yaml" >"$work/bad.out" 2>&1 || rc=$?
[ "$rc" = 6 ] || fail "a broken config: exit $rc, want 6: $(cat "$work/bad.out")"
grep -q "management.controlplane_port" "$work/bad.out" || fail "the error does not name the key"
grep -q "out of range" "$work/bad.out" || fail "the error gives no reason"
echo "   refused: $(grep -m1 management.controlplane_port "$work/bad.out")"
h=$(printf 'abc' | ctl token hash)
[ "$h" = "sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" ] || fail "token hash: $h"

step "4. bans"
export CTL_ROLE=operator
dl0=$(cpm 'rampart_cp_drop_list_commands_total\{result="ok"')
ctl bans add 198.18.1.2 --seconds 120 >/dev/null || fail "rampartctl bans add"
ctl --json bans list | /usr/bin/python3 -c '
import json, sys
b = [x for x in json.load(sys.stdin)["bans"] if x["address"] == "198.18.1.2"]
assert b and b[0]["reason"] == "manual" and 100 <= b[0]["expires_in_s"] <= 125, b' ||
  fail "the ban is not listed with its expiry"
for _ in $(seq 1 30); do
  [ "$(cpm 'rampart_cp_drop_list_commands_total\{result="ok"')" -gt "$dl0" ] && break; sleep 0.1
done
[ "$(cpm 'rampart_cp_drop_list_commands_total\{result="ok"')" -gt "$dl0" ] || fail "the ban did not reach the dataplane"
sip_run_fail "$wan" banned_invite 8 -sf "$S/uac_call.xml" "$SBC" -s 600 -i 198.18.1.2 -p 5060 \
  -t u1 -mi 198.18.2.2 -mp 30000 -m 1 -recv_timeout 2000
CTL_ROLE=viewer ctl bans list >/dev/null || fail "a viewer cannot list bans"
rc=0; CTL_ROLE=viewer ctl bans remove 198.18.1.2 2>/dev/null || rc=$?
[ "$rc" = 4 ] || fail "a viewer lifting a ban: exit $rc, want 4"
ctl bans remove 198.18.1.2 >/dev/null || fail "rampartctl bans remove"
[ "$(ctl --json bans list | jq '[.bans[] | select(.address == "198.18.1.2")] | length')" = 0 ] ||
  fail "the ban is still listed"
echo "   ban added (listed with reason manual, sent to the dataplane, INVITE unanswered), viewer refused, lifted"

step "5. the API's metrics"
n=$(cpm 'rampart_mgmt_api_requests_total\{code="401"')
[ "$n" -ge 10 ] || fail "rampart_mgmt_api_requests_total{code=401} is $n"
b2b_alive
b2b_stop_rampart
step "PASS"
