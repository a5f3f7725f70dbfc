#!/usr/bin/env bash
# Module boundaries that the link rules cannot see (a header-only include links nothing):
#  - DPDK headers (rte_*.h) only in dataplane/ and in benchmarks/tests of the dataplane;
#  - sofia-sip headers never in the dataplane, platform, sdp or mgmt;
#  - sdp/ includes no other Rampart module and no I/O headers.
# usage: module_boundaries_test.sh SOURCE_DIR
set -uo pipefail
cd "$1"
status=0
check() {  # check DESCRIPTION REGEX DIRS...
  local what=$1 regex=$2
  shift 2
  local hits
  hits=$(grep -rnE "$regex" --include='*.h' --include='*.cc' "$@" 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "FAIL: $what:"
    echo "$hits"
    status=1
  fi
}
check "DPDK header outside the dataplane" '#include *[<"]rte_' controlplane sdp mgmt platform
check "sofia-sip header outside the control plane" '#include *[<"]sofia-sip/' dataplane platform sdp mgmt
check "sdp depends on another module" '#include *<rampart/(platform|dp|cp|mgmt)/' sdp
check "sdp does I/O" '#include *<(sys/socket|netinet/|fstream|unistd)' sdp/src sdp/include
[ $status = 0 ] && echo "PASS"
exit $status
