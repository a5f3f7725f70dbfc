#!/usr/bin/env bash
# TURN REST credentials from the wan realm's HTTPS (wss) listener with a real coturn (Debian's
# turnserver, use-auth-secret with the same secret) in the lab (ops_lib.sh):
#  1. with the realm's JWT and the softphone's Origin: 200, username "expiry:alice", a
#     credential, TTL and the TURN URI; Access-Control-Allow-Origin echoes that origin;
#  2. turnutils_uclient allocates a relay on coturn with those credentials and relays through
#     it; an expired credential (same secret, expiry in the past) is refused by coturn;
#  3. a disallowed Origin gets 403 and no CORS grant; a preflight from the allowed origin is
#     answered (204, methods and headers); no token gets 401.
#  4. a browser: headless Chromium (wan namespace, drive.cjs) on the softphone page served from
#     the allowed origin fetches a lab JWT from the page's server and then the credentials with
#     fetch() (cross-origin, so the real CORS preflight applies): username, credential, TTL and
#     URIs; it gathers a relay candidate on coturn with them (RTCPeerConnection, ICE policy
#     relay). The same page served from another origin (port 8445) gets no CORS grant: its fetch
#     fails and Chromium names CORS.
# About 40 s. usage: turn_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN SOFTPHONE_DIR
tag=rop
softphone=${4:?usage: turn_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN SOFTPHONE_DIR}
# shellcheck source=../sip/b2bua_preamble.sh
. "$(dirname "$0")/../sip/b2bua_preamble.sh" "$@"
# shellcheck source=ops_lib.sh
. "$src/tests/integration/ops/ops_lib.sh"
for tool in turnserver turnutils_uclient node; do
  command -v "$tool" >/dev/null || fail "$tool is missing (tools/bootstrap installs it)"
done
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (tools/bootstrap installs it)"
node_modules=$src/.deps/softphone/node_modules
[ -d "$node_modules/playwright-core" ] || fail "playwright-core not in $node_modules (tools/bootstrap)"
[ -f "$softphone/phone.js" ] || fail "softphone bundle $softphone/phone.js not built"
# shellcheck source=../webrtc/webrtc_lib.sh
. "$src/tests/integration/webrtc/webrtc_lib.sh"

turn_pid=""
page_pids=()
turn_cleanup() {
  drv_stop
  local p
  for p in "${page_pids[@]}"; do ops_stop_pid "$p"; done
  ops_stop_pid "$turn_pid"
  b2b_cleanup
}
trap turn_cleanup EXIT

URL=https://198.18.1.1:8443/turn-credentials
ORIGIN=https://198.18.1.1:8444
/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))' >"$work/turn.secret"
ops_config 100
SRC=$src TURN_SECRET_FILE=$work/turn.secret \
  /usr/bin/python3 "$src/tests/integration/ops/edit_config.py" "$config" turn
b2b_start
ip netns exec "$sbc" turnserver -n --listening-ip=198.18.1.1 --relay-ip=198.18.1.1 \
  --listening-port=3478 --min-port=49152 --max-port=49252 --use-auth-secret \
  --static-auth-secret="$(cat "$work/turn.secret")" --realm=rampart.lab --no-tls --no-dtls \
  --no-cli --log-file=stdout --simple-log --pidfile="$work/turnserver.pid" \
  >"$work/turnserver.log" 2>&1 &
turn_pid=$!
for _ in $(seq 1 50); do
  nsx "$sbc" ss -lun | grep -q "198.18.1.1:3478" && break
  sleep 0.1
done
nsx "$sbc" ss -lun | grep -q "198.18.1.1:3478" || fail "coturn did not start: $(tail -n 5 "$work/turnserver.log")"
step "Rampart and coturn up"

get() {  # extra curl args...: GET the endpoint from wan; headers to $work/h, body to stdout
  nsx "$wan" curl -s --max-time 5 --cacert "$CA" -D "$work/h" "$@" "$URL"
}

step "1. credentials for alice from the softphone's origin"
token=$("$src/tools/lab-jwt" --sub alice --ttl 600)
body=$(get -H "Authorization: Bearer $token" -H "Origin: $ORIGIN")
echo "   $body"
grep -q "^HTTP/1.1 200" "$work/h" || fail "GET: $(head -n1 "$work/h")"
grep -qi "^access-control-allow-origin: $ORIGIN" "$work/h" || fail "no CORS grant for $ORIGIN"
user=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["username"])' "$body")
cred=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credential"])' "$body")
[[ "$user" == *:alice ]] || fail "username '$user' is not expiry:alice"

step "2. coturn allocates with them; an expired one is refused"
timeout 20 ip netns exec "$wan" turnutils_uclient -y -n 5 -m 1 -u "$user" -w "$cred" 198.18.1.1 \
  >"$work/uclient.ok" 2>&1 || true
# -y: two clients allocate and send 5 x 4 messages to each other through their relays.
grep -q "Total lost packets 0" "$work/uclient.ok" && grep -q "tot_recv_msgs=20" "$work/uclient.ok" ||
  { tail -n 15 "$work/uclient.ok"; fail "no relayed traffic through coturn with the credentials"; }
grep -E "tot_recv_msgs=20$|Total lost" "$work/uclient.ok" | sed 's/^/   /'
old=$(/usr/bin/python3 - "$work/turn.secret" <<'PY'
import base64, hashlib, hmac, sys, time
secret = open(sys.argv[1]).read().strip().encode()
user = f"{int(time.time()) - 60}:alice"
print(user, base64.b64encode(hmac.new(secret, user.encode(), hashlib.sha1).digest()).decode())
PY
)
timeout 20 ip netns exec "$wan" turnutils_uclient -y -n 5 -m 1 -u "${old% *}" -w "${old#* }" \
  198.18.1.1 >"$work/uclient.expired" 2>&1 || true
if grep -q "Total lost packets 0" "$work/uclient.expired"; then
  fail "coturn relayed with an expired credential"
fi
grep -q "Cannot complete Allocation" "$work/uclient.expired" ||
  { tail -n 10 "$work/uclient.expired"; fail "the expired credential was not refused"; }
echo "   expired credential refused"

step "3. CORS and token checks"
body=$(get -H "Authorization: Bearer $token" -H "Origin: https://evil.example")
grep -q "^HTTP/1.1 403" "$work/h" || fail "disallowed origin: $(head -n1 "$work/h")"
grep -qi "^access-control-allow-origin" "$work/h" && fail "a CORS grant for a disallowed origin"
get -X OPTIONS -H "Origin: $ORIGIN" -H "Access-Control-Request-Method: GET" \
  -H "Access-Control-Request-Headers: authorization" >/dev/null
grep -q "^HTTP/1.1 204" "$work/h" || fail "preflight: $(head -n1 "$work/h")"
grep -qi "^access-control-allow-origin: $ORIGIN" "$work/h" || fail "preflight without the grant"
grep -qi "^access-control-allow-headers: Authorization" "$work/h" || fail "preflight: no headers"
get -H "Origin: $ORIGIN" >/dev/null
grep -q "^HTTP/1.1 401" "$work/h" || fail "no token: $(head -n1 "$work/h")"
n=$(cpm 'rampart_cp_turn_credential_requests_total\{code="200"')
[ "$n" = 1 ] || fail "turn_credential_requests_total{code=200} is $n"

step "4. a browser on the softphone page fetches them (CORS) and gathers a relay on coturn"
# The softphone page from the allowed origin (8444) and, as a foreign site, from 8445.
for port in 8444 8445; do
  ip netns exec "$sbc" /usr/bin/python3 "$src/tools/softphone/server.py" --config "$config" \
    --root "$softphone" --address 198.18.1.1 --port "$port" --ca "$CA" \
    --ready-file "$work/page$port.url" >"$work/page$port.log" 2>&1 &
  page_pids+=($!)
done
for _ in $(seq 1 50); do [ -s "$work/page8444.url" ] && [ -s "$work/page8445.url" ] && break; sleep 0.1; done
[ -s "$work/page8444.url" ] && [ -s "$work/page8445.url" ] ||
  fail "softphone servers did not start: $(cat "$work"/page844*.log)"
drv_ns=$wan
PAGE_URL=$ORIGIN/
drv_start
must 40 open phone
must 20 turn phone alice
must 20 open foreign https://198.18.1.1:8445/
must 20 noturn foreign alice
n=$(cpm 'rampart_cp_turn_credential_requests_total\{code="200"')
[ "$n" = 2 ] || fail "turn_credential_requests_total{code=200} is $n after the browser's fetch"
# The foreign page's preflight reached Rampart and was refused (curl's in step 3 was the first).
n=$(cpm 'rampart_cp_turn_credential_requests_total\{code="403"')
[ "$n" = 2 ] || fail "turn_credential_requests_total{code=403} is $n after the foreign page's preflight"
b2b_alive
b2b_stop_rampart
step "PASS"
