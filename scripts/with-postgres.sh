#!/usr/bin/env bash
# Runs a command with a private PostgreSQL cluster: a temporary directory, a free loopback
# port, trust authentication. The cluster is stopped and removed afterwards, whatever happens.
# The command sees WIX_LOYALTY_PG_URL (and WIX_LOYALTY_PG_DIR, WIX_LOYALTY_PG_BIN).
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z $bin || ! -x $bin/postgres ]]; then
  echo "PostgreSQL server binaries not found: run scripts/setup.sh test (it installs Debian's postgresql)" >&2
  exit 1
fi
dir=$(mktemp -d /tmp/wix-loyalty-pg.XXXXXX)
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  # initdb refuses to run as root: the cluster belongs to the postgres system user.
  chown postgres "$dir"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null \
  || { cat "$dir/data/server.log" >&2; exit 1; }
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
export WIX_LOYALTY_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
export WIX_LOYALTY_PG_DIR=$dir WIX_LOYALTY_PG_BIN=$bin
"$@"
