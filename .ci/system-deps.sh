#!/usr/bin/env bash
# Installs the system packages the tests need: Debian's redis-server, openssl for test certificates, and
# Debian's chromium with its chromedriver for the incident page's browser test (never a downloaded browser).
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
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
