#!/usr/bin/env bash
# Installs the system packages the tests need: Debian's redis-server, and openssl for test certificates.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} (Debian packages) for the integration tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # The package may start a system instance; the tests start their own on a free port.
    (service redis-server stop >/dev/null 2>&1 || true)
    exit 0
fi
echo "${missing[*]} missing and this user cannot install it." >&2
echo "Install with: sudo apt-get install ${missing[*]}   (then run make test again)" >&2
exit 1
