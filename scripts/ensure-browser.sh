#!/usr/bin/env bash
# Headless Chromium for the browser tests, from Debian's packages (Playwright's own download cannot
# reach its servers here). Installs it when missing and we may; otherwise says what to do.
set -u
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests ..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || { echo "Could not install chromium; the browser tests will fail." >&2; exit 0; }
  exit 0
fi
echo "chromium is not installed and this user cannot install it: run 'sudo apt-get install chromium'." >&2
exit 0
