#!/usr/bin/env bash
# Installs the system packages the tests need: Debian's redis-server.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing redis-server (Debian package) for the integration tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    # The package may start a system instance; the tests start their own on a free port.
    (service redis-server stop >/dev/null 2>&1 || true)
    exit 0
fi
echo "redis-server is missing and this user cannot install it." >&2
echo "Install it with: sudo apt-get install redis-server   (then run make test again)" >&2
exit 1
