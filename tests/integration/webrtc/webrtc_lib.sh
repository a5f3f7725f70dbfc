# The browser driver for the WebRTC tests: drive.cjs (playwright-core + Debian's chromium) in a
# network namespace, fed one command per line through a FIFO, answering one line per command.
# The caller sets, before sourcing: src (source tree); before drv_start: work (scratch folder),
# node_modules (the npm packages of tools/softphone; webrtc_require sets it), drv_ns (namespace), PAGE_URL (and
# DRV_LOOPBACK=1 for ICE candidates on loopback, browser-to-browser tests only; DRV_FAKE_AUDIO=WAV
# for a microphone playing that file); it defines
# fail MESSAGE and calls drv_stop from its EXIT trap. Every wait is bounded; the driver and any
# Chromium it left are ended by PID.
#   drv_start             starts the driver (fresh Chromium profile in $work/profile)
#   drv SECS CMD ARGS...  one command (see drive.cjs); prints "ok: ..." or "FAILED: ..." and
#                         returns 1 on failure, the message in $drv_msg
#   must SECS CMD ARGS... the same, but a failure fails the test with the driver's message
#   drv_stop              ends the driver (quit, then TERM/KILL by PID) and its Chromium
#   webrtc_require SOFTPHONE_DIR TOOL...
#                         the checks before any of it: exits 77 (SKIP) naming what is missing
#                         (root, TOOLs, Debian's Chromium, playwright-core, the softphone bundle,
#                         the Python modules, the lab certificates); sets node_modules
# shellcheck shell=bash

drv_pid=""

webrtc_require() {
  local softphone=$1 tool
  shift
  if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (network namespaces, shared memory)"
    exit 77
  fi
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (tools/bootstrap)"; exit 77; }
  done
  [ -x /usr/bin/chromium ] || { echo "SKIP: /usr/bin/chromium not installed (tools/bootstrap)"; exit 77; }
  node_modules=$src/.deps/softphone/node_modules
  [ -d "$node_modules/playwright-core" ] ||
    { echo "SKIP: playwright-core not in $node_modules (tools/bootstrap)"; exit 77; }
  [ -f "$softphone/phone.js" ] || { echo "SKIP: softphone bundle $softphone/phone.js not built"; exit 77; }
  /usr/bin/python3 -c 'import websockets, jwt, yaml' 2>/dev/null ||
    { echo "SKIP: /usr/bin/python3 lacks websockets/jwt/yaml"; exit 77; }
  [ -r "$src/etc/lab-certs/ca.crt" ] && [ -r "$src/etc/lab-certs/wss.crt" ] &&
    [ -r "$src/etc/lab-certs/jwt-hs256.key" ] ||
    { echo "SKIP: etc/lab-certs (lab CA, JWT key) missing (tools/bootstrap)"; exit 77; }
}
drv_seq=0
drv_msg=""

drv_start() {
  mkfifo "$work/driver.in"
  mkdir -p "$work/profile" "$work/trace"
  # Not through a function: `ip netns exec` execs node, so $! is node's own PID.
  NODE_PATH=$node_modules ip netns exec "$drv_ns" node "$src/tests/integration/webrtc/drive.cjs" \
    --url "$PAGE_URL" --profile "$work/profile" --trace "$work/trace" --max-seconds 290 \
    --loopback "${DRV_LOOPBACK:-0}" ${DRV_FAKE_AUDIO:+--fake-audio "$DRV_FAKE_AUDIO"} \
    <"$work/driver.in" >"$work/driver.out" 2>"$work/driver.err" &
  drv_pid=$!
  exec 3>"$work/driver.in"
}

drv() {  # SECS COMMAND ARGS...
  local secs=$1 line=""
  shift
  drv_seq=$((drv_seq + 1))
  echo "$drv_seq $*" >&3
  for _ in $(seq 1 $((secs * 10))); do
    line=$(grep -m1 "^#$drv_seq " "$work/driver.out" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$drv_pid" 2>/dev/null || fail "the browser driver exited: $(tail -n 5 "$work/driver.err")"
    sleep 0.1
  done
  [ -n "$line" ] || fail "the browser driver did not answer '$*' within $secs s"
  drv_msg=${line#"#$drv_seq "}
  case "$line" in
    "#$drv_seq ok "*) drv_msg=${drv_msg#ok }; echo "   ok: $drv_msg" ;;
    *) drv_msg=${drv_msg#fail }; echo "   FAILED: $drv_msg"; return 1 ;;
  esac
}

must() { drv "$@" || fail "$drv_msg"; }

drv_stop() {
  [ -n "$drv_pid" ] || return 0
  echo "$((drv_seq + 1)) quit" >&3 2>/dev/null || true
  { exec 3>&-; } 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$drv_pid" 2>/dev/null || break; sleep 0.1; done
  kill -TERM "$drv_pid" 2>/dev/null || true
  for _ in $(seq 1 10); do kill -0 "$drv_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$drv_pid" 2>/dev/null || true
  # Chromium processes a killed driver left: found by this run's own profile folder (unique to
  # it), ended by PID.
  local p
  for p in $(pgrep -f -- "--user-data-dir=$work/profile" || true); do kill -KILL "$p" 2>/dev/null || true; done
  drv_pid=""
}
