#!/usr/bin/env bash
# Connection storms and bad tokens at the WSS edge (real binaries, the lab PBX, the scripted
# browser wss_client.py), as an operator would check them:
#  1. a WebSocket connection storm (300 TCP connections that never start TLS) from 198.18.1.100
#     and a TLS handshake storm (300 handshakes) from 198.18.1.101, while alice registers over
#     WSS from 198.18.1.2: alice registers; the storms are cut by the per-source limits
#     (refused before any TLS work, counted by reason) and the held connections are closed by
#     the handshake timeout;
#  2. repeated forged tokens from 198.18.1.102: after security.jwt_failures.max refusals (401)
#     the source is banned and its next connection is refused at accept;
#  3. alice registers again afterwards.
# About 40 s. usage: wss_storm_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
set -euo pipefail
src=$(cd "$1" && pwd)
dp=$2
cp=$3
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (network namespaces)"; exit 77; fi
/usr/bin/python3 -c 'import websockets, jwt, yaml' 2>/dev/null ||
  { echo "SKIP: /usr/bin/python3 lacks websockets/jwt/yaml"; exit 77; }
[ -r "$src/etc/lab-certs/jwt-hs256.key" ] && [ -r "$src/etc/lab-certs/wss.crt" ] ||
  { echo "SKIP: etc/lab-certs missing (tools/bootstrap)"; exit 77; }
prefix="rfw$(( $$ % 100000 ))-"
work=$(mktemp -d "/tmp/rfw-$$-XXXX")
# shellcheck source=../sip/sip_lib.sh
. "$src/tests/integration/sip/sip_lib.sh"
# shellcheck source=../sip/wss_lib.sh
. "$src/tests/integration/sip/wss_lib.sh"
sec_dir=$src/tests/integration/security
# shellcheck source=security_lib.sh
. "$sec_dir/security_lib.sh"
t0=$SECONDS
step() { echo "$* (t=$((SECONDS - t0))s)"; }
storm() { nsx "$wan" /usr/bin/python3 "$sec_dir/conn_storm.py" "$@"; }
conn_refused() { cpm "rampart_cp_security_connections_refused_total\\{realm=\"wan\",reason=\"($1)\""; }

config=$work/rampart.yaml
wss_config "$config" handshake_timeout_s=3
sec_config '{"connections": {"max_per_source": 40, "new_per_source": {"per_second": 10, "burst": 20}},
             "jwt_failures": {"max": 3, "window_s": 60}}'
wss_start
sec_sources 100 3
pw_alice=$(sip_password alice)
ua() { echo ua --url "$WSS_URL" --origin "$WSS_ORIGIN" "$@"; }
step "Rampart and the PBX up"

step "1. connection and handshake storms beside alice"
storm hold 198.18.1.100 198.18.1.1:8443 300 5 >"$work/hold.json" &
hold_pid=$!
wss_pids+=("$hold_pid")
storm tls 198.18.1.101 198.18.1.1:8443 300 >"$work/tls.json" &
tls_pid=$!
wss_pids+=("$tls_pid")
sleep 0.5
# shellcheck disable=SC2046
wss_bg reg1 $(ua --token "$(token good alice)" --user alice --password "$pw_alice" --register --linger 1)
wss_wait_event reg1 registered 15
wss_wait reg1 15
wait "$hold_pid" || fail "the connection storm failed: $(cat "$work/hold.json")"
wait "$tls_pid" || fail "the handshake storm failed: $(cat "$work/tls.json")"
echo "   hold storm: $(cat "$work/hold.json"); tls storm: $(cat "$work/tls.json")"
echo "   refused: rate $(conn_refused connection_rate), per source $(conn_refused connections_per_source)"
[ "$(conn_refused 'connection_rate|connections_per_source')" -ge 200 ] || fail "the storms were not cut by the per-source limits"
hs=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["handshakes"])' "$work/tls.json")
[ "$hs" -le 120 ] || fail "$hs TLS handshakes of 300 were served (limit 10/s, burst 20)"
closed=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["closed_by_server"])' "$work/hold.json")
[ "$closed" -ge 290 ] || fail "only $closed of 300 held connections were closed by Rampart (refused or timed out)"

step "2. forged tokens get the source banned"
storm badjwt 198.18.1.102 198.18.1.1:8443 3 >"$work/badjwt.json"
echo "   $(cat "$work/badjwt.json")"
grep -q '"401": 3' "$work/badjwt.json" || fail "forged tokens were not answered 401 three times"
[ "$(cpm 'rampart_cp_bans_total\{event="added",reason="jwt"')" = 1 ] || fail "no ban after 3 forged tokens"
storm tls 198.18.1.102 198.18.1.1:8443 1 >"$work/after_ban.json"
grep -q '"refused": 1' "$work/after_ban.json" || fail "the banned source still gets TLS: $(cat "$work/after_ban.json")"
[ "$(conn_refused banned)" -ge 1 ] || fail "the banned connection was not counted"

step "3. alice registers again"
# shellcheck disable=SC2046
wss_bg reg2 $(ua --token "$(token good alice)" --user alice --password "$pw_alice" --register --linger 1)
wss_wait_event reg2 registered 10
wss_wait reg2 10
wss_alive
step "PASS"
