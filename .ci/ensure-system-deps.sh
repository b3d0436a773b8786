#!/bin/sh
# Install the Debian packages Sunshine needs, where they are missing.
set -e
need=""
command -v dot >/dev/null 2>&1 || need="$need graphviz"
fc-list 2>/dev/null | grep -qi -e 'wenquanyi' -e 'wqy' -e 'noto sans cjk' || need="$need fonts-wqy-zenhei"
command -v pdftotext >/dev/null 2>&1 || need="$need poppler-utils"
[ -z "$need" ] && exit 0
echo "installing Debian packages:$need"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
