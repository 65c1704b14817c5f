#!/usr/bin/env bash
# Debian packages the test suite needs and a fresh machine lacks: Chromium for the browser
# tests, Java for Spark, PostgreSQL for the second operational store, Pango for the savings
# report's PDF (WeasyPrint) and poppler-utils to read that PDF back in its tests. Idempotent; each is
# installed only when missing. Needs root (CI runs as root); elsewhere it says what to install.
set -euo pipefail

want=()
command -v chromium >/dev/null 2>&1 || want+=(chromium)
command -v java >/dev/null 2>&1 || want+=(default-jre-headless)
[ -x /usr/lib/postgresql/*/bin/postgres ] 2>/dev/null || want+=(postgresql)
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || want+=(libpango-1.0-0 libpangoft2-1.0-0)
command -v pdftotext >/dev/null 2>&1 || want+=(poppler-utils)

if [ ${#want[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "sharewell tests need these Debian packages: ${want[*]} (run: sudo apt-get install ${want[*]})" >&2
  exit 1
fi
echo "Installing ${want[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
