#!/bin/sh
# Install the Debian packages Sunshine needs, where they are missing: graphviz (flowcharts), a
# CJK font (Chinese in flowcharts, PDFs and the browser tests' screenshots), poppler (PDF
# checks), and chromium (the web's end-to-end tests drive Debian's browser with Playwright
# through executable_path: no browser download).
set -e
need=""
command -v dot >/dev/null 2>&1 || need="$need graphviz"
fc-list 2>/dev/null | grep -qi -e 'wenquanyi' -e 'wqy' -e 'noto sans cjk' || need="$need fonts-wqy-zenhei"
command -v pdftotext >/dev/null 2>&1 || need="$need poppler-utils"
[ -x /usr/bin/chromium ] || need="$need chromium"
[ -z "$need" ] && exit 0
echo "installing Debian packages:$need"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
# Another apt or dpkg (unattended upgrades on a fresh machine) may hold the lock: wait for it,
# up to five minutes, instead of failing the run.
wait_for_dpkg() {
  i=0
  while [ $i -lt 300 ]; do
    if command -v fuser >/dev/null 2>&1; then
      $SUDO fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock \
        >/dev/null 2>&1 || return 0
    elif ! pgrep -x 'apt|apt-get|dpkg|unattended-upgr' >/dev/null 2>&1; then
      return 0
    fi
    [ $i -eq 0 ] && echo "waiting for another apt/dpkg to finish"
    sleep 1
    i=$((i+1))
  done
}
wait_for_dpkg
$SUDO apt-get update -qq || true
wait_for_dpkg
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq $need >/dev/null
