# The common start of the B2BUA tests: arguments, root check, a prefixed lab name and work
# directory, sip_lib.sh and b2bua_lib.sh, the tools they need, and the lab addresses.
# usage (at the top of a test): tag=rbX; . "$(dirname "$0")/b2bua_preamble.sh" "$@"
#   arguments: SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
# shellcheck shell=bash
set -euo pipefail
src=$(cd "$1" && pwd)
dp=$2
cp=$3
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (network namespaces)"; exit 77; fi
prefix="${tag}$(( $$ % 100000 ))-"
work=$(mktemp -d "/tmp/${tag}-$$-XXXX")
# shellcheck source=sip_lib.sh
. "$src/tests/integration/sip/sip_lib.sh"
# shellcheck source=b2bua_lib.sh
. "$src/tests/integration/sip/b2bua_lib.sh"
for tool in kamailio sipp tcpdump kamcmd python3 curl; do
  command -v "$tool" >/dev/null || fail "$tool is missing (tools/bootstrap installs it)"
done
S=$sip_dir
SBC=198.18.1.1:5060
WAN_SIG=198.18.1.2
WAN_MED=198.18.2.2
t0=$SECONDS
