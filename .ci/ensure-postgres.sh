#!/bin/sh
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with a database `test` (trust auth for
# local test use): start the cluster where it is down, install it where it is missing.
set -e
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "installing PostgreSQL"
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  $SUDO sh -c "printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' > $hba"
fi
if ! answers; then
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  i=0
  while ! answers && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done
fi
answers || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
if ! psql -h 127.0.0.1 -U postgres -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw test; then
  createdb -h 127.0.0.1 -U postgres test 2>/dev/null || $SUDO -u postgres createdb test || true
fi
