#!/usr/bin/env bash
# Starts a FerretDB (MongoDB wire protocol, SQLite backend) on 127.0.0.1 for the MongoDB test
# suites, installing it with `go install` when it is missing. Prints the MONGODB_URI to use.
# Usage: scripts/ferretdb.sh [PORT]   (stop it with: kill "$(cat "$DIR/ferretdb.pid")")
set -euo pipefail
port="${1:-27017}"
dir="${FERRETDB_DIR:-${TMPDIR:-/tmp}/licensor-ferretdb-$port}"
bin="$(go env GOPATH 2>/dev/null)/bin/ferretdb"
if [ ! -x "$bin" ] || ! "$bin" --version >/dev/null 2>&1; then
  # `go install …@v1.24.2` alone builds a binary that panics at start: the module ships an empty
  # build/version/version.txt. Fetch it with go install, then rebuild from a copy with the file set.
  echo "installing FerretDB v1.24.2 (once)..." >&2
  go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2 >&2 || true
  src="$(go env GOMODCACHE)/github.com/!ferret!d!b/!ferret!d!b@v1.24.2"
  build="$(mktemp -d)"
  cp -r "$src/." "$build/" && chmod -R u+w "$build"
  echo v1.24.2 >"$build/build/version/version.txt"
  (cd "$build" && GOFLAGS=-mod=mod go build -o "$bin" ./cmd/ferretdb) >&2
  rm -rf "$build"
fi
mkdir -p "$dir/data"
if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  nohup "$bin" --handler=sqlite --sqlite-url="file:$dir/data/" --listen-addr="127.0.0.1:$port" \
    --telemetry=disable --state-dir="$dir" --log-level=warn --debug-addr="${FERRETDB_DEBUG_ADDR:--}" \
    >"$dir/ferretdb.log" 2>&1 &
  echo $! >"$dir/ferretdb.pid"
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
fi
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "FerretDB did not start: $dir/ferretdb.log" >&2; exit 1; }
echo "mongodb://127.0.0.1:$port/"
