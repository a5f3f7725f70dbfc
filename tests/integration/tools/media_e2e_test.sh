#!/usr/bin/env bash
# End to end: verified media through the real rampart-dataplane, no control plane. A private
# lab (tools/lab, own prefix), the dataplane on net_af_packet over the lab veths, flows
# programmed by rampart-flowctl and media from two rampart-media-peer processes
# (tools/media_peer/lab_media_check). Checks:
#  1. SRTP re-keying (AES_CM_128_HMAC_SHA1_32 <-> _80), 3 streams, rtcp-mux: clean both ways;
#  2. AEAD-GCM (128 <-> 256) with separate RTCP flows: clean both ways;
#  3. plain RTP, RTCP off: clean both ways;
#  4. a wrong key on the dataplane's ingress: the check fails (the test can fail).
# Needs root (namespaces, shared memory); exits 77 (skipped) otherwise.
# usage: media_e2e_test.sh SOURCE_DIR BUILD_DIR DATAPLANE_BIN
set -euo pipefail
src=$1
build=$2
dp=$3
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
  echo "SKIP: needs root and iproute2"
  exit 77
fi
tag=$(( $$ % 100000 ))
prefix="rme${tag}-"  # tools/lab: prefix + "mgmt" must fit 15 characters
shm="/rme-$$"
mport=$((21000 + $$ % 20000))
work=$(mktemp -d /tmp/rme-$$-XXXX)
dp_pid=""
cleanup() {
  if [ -n "$dp_pid" ]; then kill -KILL "$dp_pid" 2>/dev/null || true; fi
  "$src/tools/lab" down --prefix "$prefix" >/dev/null 2>&1 || true
  rm -f "/dev/shm/${shm#/}" "/dev/shm/${shm#/}.xc"  # the region and its transcoder rings
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  grep -v '^EAL' "$work/dp.log" 2>/dev/null | tail -n 20 >&2 || true
  exit 1
}

"$src/tools/lab" up --prefix "$prefix" --no-mgmt >/dev/null
cat >"$work/dp.yaml" <<YAML
node: {name: rme, shm_name: $shm, log_level: info}
dataplane:
  worker_cpus: [1]
  main_cpu: 0
  eal_args: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry",
             "--file-prefix", "rme$$"]
  flow_capacity: 1024
  idle_timeout_s: 60
  idle_backoff_us: 200
  rings: {command_slots: 256, event_slots: 1024, punt_slots: 64, inject_slots: 64}
realms:
  - name: wan
    signalling: [{transport: udp, address: 127.0.0.1, port: 5060}]
    media: {interface: sbc-wan-med, devargs: "net_af_packet0,iface=sbc-wan-med",
            address: 198.18.2.1, prefix_len: 24, port_min: 20000, port_max: 29999}
  - name: lan
    signalling: [{transport: udp, address: 127.0.0.1, port: 5061}]
    media: {interface: sbc-lan-med, devargs: "net_af_packet1,iface=sbc-lan-med",
            address: 198.18.4.1, prefix_len: 24, port_min: 30000, port_max: 39999}
management: {address: 127.0.0.1, controlplane_port: $((mport + 1)), dataplane_port: $mport}
YAML
ip netns exec "${prefix}sbc" "$dp" --config "$work/dp.yaml" >"$work/dp.log" 2>&1 &
dp_pid=$!
for _ in $(seq 1 150); do
  grep -q "ready:" "$work/dp.log" 2>/dev/null && break
  kill -0 "$dp_pid" 2>/dev/null || fail "dataplane exited"
  sleep 0.1
done
grep -q "ready:" "$work/dp.log" || fail "dataplane not ready"

check() {  # check NAME ARGS...: lab_media_check must pass
  echo "== $1"
  "$src/tools/media_peer/lab_media_check" --bin "$build" --prefix "$prefix" --shm "$shm" \
    --out "$work/$1" "${@:2}" || fail "$1"
}
check srtp-mux --variant srtp-srtp --streams 3 --duration 2 --rtcp mux
check gcm-separate --variant gcm --streams 2 --duration 2 --rtcp separate
check rtp-off --variant rtp-rtp --streams 2 --duration 1 --rtcp off

echo "== wrong-key (must fail)"
if "$src/tools/media_peer/lab_media_check" --bin "$build" --prefix "$prefix" --shm "$shm" \
     --out "$work/wrong" --variant srtp-srtp --duration 1 --drain-ms 300 --wrong-key; then
  fail "a wrong ingress key went unnoticed"
fi
grep -q '"received":{"datagrams":0,' "$work/wrong/lan.json" ||
  fail "lan peer received media despite the wrong key: $(cat "$work/wrong/lan.json")"
# Nothing left behind: every flow was deleted.
flows=$("$build/tools/flowctl/rampart-flowctl" --shm "$shm" --json list)
[ "$flows" = "[]" ] || fail "flows left: $flows"
kill -TERM "$dp_pid"
wait "$dp_pid" || fail "dataplane exit status $?"
dp_pid=""
echo PASS
