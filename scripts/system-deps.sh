#!/usr/bin/env bash
# Installs the real servers and browser the test suite uses, from Debian's packages:
# redis-server (shared index tests, started by the tests on loopback only) and
# chromium (renders the HTML report). Does nothing for what is already installed.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "system-deps: installing ${need[*]} from Debian's packages" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The Debian package starts a redis-server service on 6379; the tests start their own.
