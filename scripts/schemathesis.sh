#!/usr/bin/env bash
# Fuzzes the HTTP API of `reelforge serve` against its own OpenAPI document with schemathesis.
#
# Starts a throwaway server (fixtures/artists, an empty data folder, one test API key), runs
# schemathesis on GET /openapi.json with a fixed seed and a bounded number of cases per operation,
# stops the server and exits non-zero when schemathesis reports a failure.
#
#   scripts/schemathesis.sh                      # from anywhere; needs python3 and a built binary
#   REELFORGE_BIN=/path/to/reelforge ST_MAX_EXAMPLES=20 scripts/schemathesis.sh
#
# Environment:
#   REELFORGE_BIN    server binary (default target/release/reelforge)
#   ST_MAX_EXAMPLES  cases per operation and phase (default 50)
#   ST_SEED          hypothesis seed (default 20240601)
#   ST_TIMEOUT       wall-clock limit of the schemathesis run, seconds (default 240)
#   ST_CHECKS        comma-separated schemathesis checks, or "all" (default: server errors and
#                    conformance of status codes, content types, response bodies and headers)
#   ST_SCHEMA        schema to test against instead of the server's own GET /openapi.json,
#                    e.g. assets/openapi.json to check a binary against the working tree's document
#   ST_VENV          virtualenv to create or reuse (default ${TMPDIR:-/tmp}/reelforge-schemathesis-VERSION)
#   ST_REPORT_DIR    keep the JUnit and NDJSON reports there (default: deleted with the temp folder)
# Further arguments go to `st run`, e.g. --max-failures 1 or --phases fuzzing.
#
# Where unshare allows it, the server and schemathesis run in a fresh network namespace (loopback
# only), so no fuzzed song, image or video URL can reach anything outside this machine.
set -euo pipefail

ST_VERSION=4.32.5
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${REELFORGE_BIN:-$ROOT/target/release/reelforge}
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-50}
CHECKS=${ST_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance}
SEED=${ST_SEED:-20240601}
TIMEOUT=${ST_TIMEOUT:-240}
VENV=${ST_VENV:-${TMPDIR:-/tmp}/reelforge-schemathesis-$ST_VERSION}
ACCOUNT=0f8a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b
KEY=rf_schemathesis_0123456789abcdef
CALLBACK_SECRET=cb_schemathesis_secret
die() { echo "$*" >&2; exit 2; }

# 1. schemathesis, pinned, in its own virtualenv (needs the package index; done before isolating).
if [[ -z ${_ST_ISOLATED:-} ]]; then
  [[ -x $BIN ]] || die "no reelforge binary at $BIN (set REELFORGE_BIN)"
  if [[ "$("$VENV/bin/st" --version 2>/dev/null)" != *"$ST_VERSION"* ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
  fi
  if command -v ip >/dev/null && unshare --map-root-user --net true 2>/dev/null; then
    exec env _ST_ISOLATED=1 unshare --map-root-user --net -- bash "${BASH_SOURCE[0]}" "$@"
  fi
  echo "warning: cannot make a network namespace: running without network isolation" >&2
else
  ip link set lo up
fi

# 2. A server on a free loopback port, with an empty data folder.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/reelforge-schemathesis.XXXXXX")
SERVER_PID=
# shellcheck disable=SC2317 # run by the trap
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$TMP/data"
REELFORGE_API_KEYS="$ACCOUNT=$KEY" REELFORGE_CALLBACK_SECRET=$CALLBACK_SECRET \
  REELFORGE_SLACK_TOKEN=xoxb-schemathesis REELFORGE_SLACK_API_URL=http://127.0.0.1:9 \
  "$BIN" serve --listen 127.0.0.1:0 --workers 1 --artists "$ROOT/fixtures/artists" \
  --data "$TMP/data" --cache "$TMP/cache" --shutdown-grace 1 \
  --x264-threads 1 >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do
  URL=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$TMP/server.out" | head -n1)
  [[ -n $URL ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(cat "$TMP/server.err")"
  sleep 0.1
done
[[ -n $URL ]] || die "server did not print its address"

# 3. Two runs to fuzz against, made before the fuzzing starts: one rendered from a fixture song
# (COMPLETED, with an .mp4 and a .vtt under /files) and one whose image URL is refused (FAILED).
ARTIST=5b0f3c1e-8a2d-4c6b-9e71-2d4f6a8b0c13
api() { curl -sf -H "x-api-key: $KEY" -H 'content-type: application/json' "$@"; }
json() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
create() { api -d "{\"artist_account_id\": \"$ARTIST\", $1}" "$URL/api/content/create" | json '["runIds"][0]'; }
RUN_OK=$(create '"songs": ["blue-hour"]') || die "POST /api/content/create failed"
RUN_FAILED=$(create '"images": ["http://127.0.0.1:9/face.png"]') || die "POST /api/content/create failed"
for _ in $(seq 120); do
  STATUS=$(api "$URL/api/tasks/runs?runId=$RUN_OK" | json '["runs"][0]["status"]') || true
  [[ $STATUS == QUEUED || $STATUS == EXECUTING ]] || break
  sleep 1
done
echo "server $URL (pid $SERVER_PID); run $RUN_OK $STATUS, run $RUN_FAILED"

# 4. The fuzz run. Half the generated ids, song slugs, file names and ranges are real ones (the
# runs above, fixtures/artists, the built-in templates), so requests get past 404.
# The callback endpoint documents 502 (Slack failed: here it is a closed local port) and 503.
cat >"$TMP/schemathesis.toml" <<EOF
[dictionaries.artist]
values = ["$ARTIST"]
[dictionaries.song]
values = ["blue-hour", "night-drive", "paper-lanterns"]
[dictionaries.template]
values = ["artist-caption-bedroom", "artist-caption-outside", "artist-caption-stage",
          "album-record-store", "artist-release-editorial"]
[dictionaries.run]
values = ["$RUN_OK", "$RUN_FAILED"]
[dictionaries.file]
values = ["$RUN_OK.mp4", "$RUN_OK.vtt"]
[dictionaries.range]
values = ["bytes=0-9", "bytes=100-", "bytes=-10", "bytes=999999999-", "bytes=5-1"]

[parameters]
"query.artist_account_id" = { dictionary = "artist", probability = 0.5 }
"body.artist_account_id" = { dictionary = "artist", probability = 0.5 }
"body.songs[*]" = { dictionary = "song", probability = 0.5 }
"body.template" = { dictionary = "template", probability = 0.5 }
"path.id" = { dictionary = "template", probability = 0.5 }
"query.runId" = { dictionary = "run", probability = 0.5 }
"path.name" = { dictionary = "file", probability = 0.5 }
"header.Range" = { dictionary = "range", probability = 0.5 }

[[operations]]
include-operation-id = "contentAgentCallback"
headers = { "x-callback-secret" = "$CALLBACK_SECRET" }
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "502", "503"]
EOF
REPORTS=$(realpath -m "${ST_REPORT_DIR:-$TMP/reports}")
SCHEMA=${ST_SCHEMA:-$URL/openapi.json}
# A schema file named relative to where the script was started still works after the cd below.
[[ -f $SCHEMA ]] && SCHEMA=$(realpath "$SCHEMA")
# schemathesis keeps a cache in its working folder: not in the repository.
cd "$TMP"
START=$SECONDS
set +e
timeout --kill-after=10 "$TIMEOUT" "$VENV/bin/st" --config-file "$TMP/schemathesis.toml" run \
  "$SCHEMA" --url "$URL" \
  -H "x-api-key: $KEY" \
  --checks "$CHECKS" \
  --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 1 --request-timeout 10 \
  --generation-with-security-parameters false --generation-database none \
  --continue-on-failure --output-sanitize false --no-color \
  --report junit,ndjson --report-dir "$REPORTS" "$@" | tee "$TMP/st.log"
RC=${PIPESTATUS[0]}
set -e

# 5. Summary.
echo
case $RC in
  0) echo "schemathesis: no failures ($((SECONDS - START)) s)" ;;
  124 | 137) echo "schemathesis: stopped after ${TIMEOUT} s (ST_TIMEOUT)" ;;
  *) echo "schemathesis: failures found (exit $RC, $((SECONDS - START)) s)" ;;
esac
grep -E '^ +[0-9]+ generated|^ +❌ ST' "$TMP/st.log" || true
if [[ -n ${ST_REPORT_DIR:-} ]]; then cp "$TMP/server.err" "$REPORTS/server.log"; echo "reports in $REPORTS"; fi
grep -E -m 10 ' ERROR |panicked' "$TMP/server.err" || true
exit "$RC"
