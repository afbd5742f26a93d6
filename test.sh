#!/usr/bin/env bash
# Runs every test of AbortLab: installs what the tests need when it is missing, then `dotnet test AbortLab.sln`.
# Extra arguments go to `dotnet test` (for example: ./test.sh --filter "FullyQualifiedName~StalledUpload").
set -euo pipefail
cd "$(dirname "$0")"

say() { printf 'test.sh: %s\n' "$*" >&2; }

if ! command -v dotnet >/dev/null 2>&1; then
  say "the .NET SDK is missing: install .NET SDK 10 (https://dot.net), then run ./test.sh again."
  exit 1
fi

# A browser for the Playwright tests: Playwright's own, else $ABORTLAB_CHROMIUM, else the system's Chromium.
has_browser() {
  [ -n "${ABORTLAB_CHROMIUM:-}" ] && [ -x "${ABORTLAB_CHROMIUM}" ] && return 0
  ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium-*/chrome-linux*/chrome >/dev/null 2>&1 && return 0
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]
}

if [ -d browser-tests ] && ! has_browser; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Chromium for the browser tests (apt-get install chromium)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "the browser tests need Chromium: run 'sudo apt-get install -y chromium' (Debian/Ubuntu) or set ABORTLAB_CHROMIUM to a Chromium binary."
    exit 1
  fi
fi

# PostgreSQL for the database tests: they start a server of their own (initdb + pg_ctl on a free loopback port).
has_postgres() {
  command -v initdb >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

if ! has_postgres; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing PostgreSQL for the database tests (apt-get install postgresql)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    say "the database tests need PostgreSQL's server programs: run 'sudo apt-get install -y postgresql' (Debian/Ubuntu)."
    exit 1
  fi
fi

# One test project at a time (-m:1): the benchmark's smoke run and the browser rig's CPU sensor both measure the
# machine, and run side by side on 2 cores they load each other (the smoke run passed its time limit, and two fault
# verdicts read a CPU loop starved of its core as a thread that blocks).
exec dotnet test AbortLab.sln --logger trx -m:1 "$@"
