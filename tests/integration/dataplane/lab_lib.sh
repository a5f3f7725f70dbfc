# Shared by the dataplane tests that run the real binary in a lab of their own (tools/lab
# shape, namespaces ${prefix}sbc/wan/lan). The caller sets dp, tool, src, prefix, shm, mport
# and work before sourcing it; processes it starts in the background go into bg_pids.
# shellcheck shell=bash
sbc=${prefix}sbc
wan=${prefix}wan
lan=${prefix}lan
dp_pid=""
bg_pids=()
cleanup() {  # only what this test started, by PID; then its lab, region and files
  for p in "${bg_pids[@]}" $dp_pid; do kill -KILL "$p" 2>/dev/null || true; done
  "$src/tools/lab" down --prefix "$prefix" >/dev/null 2>&1 || true
  rm -f "/dev/shm/${shm#/}" "/dev/shm/${shm#/}.xc"  # the region and its transcoder rings
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; tail -n 20 "$work/dp.log" >&2 2>/dev/null || true; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ctl() { nsx "$sbc" "$tool" ctl "$shm" "$@"; }
metric() {  # metric REGEX -> sum of matching samples
  nsx "$sbc" curl -sf --max-time 3 "http://127.0.0.1:$mport/metrics" |
    grep -E "$1" | awk '{s += $NF} END {print s + 0}'
}

# lab_start [SED-EXPRESSION...]: the lab up, etc/rampart.yaml made private to this test
# (region, ports, file prefix, certificates, 256 flows, idle back-off) plus the caller's edits,
# the dataplane started in the sbc namespace and ready.
lab_start() {
  "$src/tools/lab" up --prefix "$prefix" --no-mgmt >/dev/null
  config=$work/rampart.yaml
  local edits=() e
  for e in "$@"; do edits+=(-e "$e"); done
  # RAMPART_TEST_SRTP_ENGINE=libsrtp: the same test with libsrtp2 for every flow.
  if [ "${RAMPART_TEST_SRTP_ENGINE:-}" = libsrtp ]; then
    edits+=(-e "s#srtp_engine: fast#srtp_engine: libsrtp#")
  fi
  sed -e "s#shm_name: /rampart#shm_name: $shm#" \
      -e "s#certificate: lab-certs/#certificate: $src/etc/lab-certs/#" \
      -e "s#private_key: lab-certs/#private_key: $src/etc/lab-certs/#" \
      -e "s#secret_file: lab-certs/#secret_file: $src/etc/lab-certs/#" \
      -e "s#idle_backoff_us: .*#idle_backoff_us: 500#" \
      -e "s#flow_capacity: .*#flow_capacity: 256#" \
      -e "s#\"--no-shconf\"\]#\"--no-shconf\", \"--no-telemetry\", \"--file-prefix\", \"${prefix%-}\"]#" \
      "${edits[@]}" "$src/etc/rampart.yaml" >"$config"
  # Metrics on loopback inside the appliance namespace (no management network here, no API).
  /usr/bin/python3 - "$config" "$mport" <<'PY'
import re, sys
path, port = sys.argv[1], int(sys.argv[2])
text = open(path).read()
# The whole top-level `management:` block (its indented lines too), as text: a YAML round trip
# would turn `srtp: off` into a boolean.
block = (f"management: {{address: 127.0.0.1, controlplane_port: {port + 1}, "
         f"dataplane_port: {port}}}\n")
text, n = re.subn(r"^management:.*\n(?:[ #].*\n|\n)*", block, text, flags=re.M)
assert n == 1, "no management block"
open(path, "w").write(text)
PY
  "$dp" --config "$config" --check-config >/dev/null || fail "config refused"
  ip netns exec "$sbc" "$dp" --config "$config" >"$work/dp.log" 2>&1 &
  dp_pid=$!
  for _ in $(seq 1 100); do grep -q "ready:" "$work/dp.log" && break; sleep 0.1; done
  grep -q "ready:" "$work/dp.log" || fail "dataplane not ready"
  if [ "${RAMPART_TEST_SRTP_ENGINE:-}" = libsrtp ]; then
    grep -q "SRTP: libsrtp2 for every flow" "$work/dp.log" || fail "libsrtp2 not forced"
  else
    grep -q "SRTP: fast path on intel-ipsec-mb" "$work/dp.log" || fail "fast path not in use"
  fi
}

# resolved NS ADDR FROM TO: the peer in NS has the media address ADDR in its neighbour table.
# Retried (bounded): each attempt makes the peer's kernel resolve the address again.
resolved() {
  for _ in $(seq 1 20); do
    nsx "$1" "$tool" send --from "$3" --to "$4" --count 1 --interval-us 0 >/dev/null
    nsx "$1" ip neigh show "$2" | grep -q "lladdr" && return 0
    sleep 0.2
  done
  return 1
}
