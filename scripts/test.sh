#!/usr/bin/env bash
# npm test: the whole suite. Installs what it needs (scripts/setup.sh), builds pkg/, then runs
#   lint       cargo fmt --check, clippy -D warnings (native and wasm32)
#   native     cargo test (the core): rules, verify(), the model-based property test, the seeded
#              fault simulation and a bounded fuzzing pass, printing their figures
#   wasm-node  cargo test --target wasm32-unknown-unknown, and wasm-pack test --node
#   wasm-chrome wasm-pack test --headless --chrome (must really run in Chromium)
#   js         node --test over pkg/ (ESM and CommonJS suites, trap recovery, memory under --expose-gc)
#   sdk        the official @wix/loyalty SDK through createWixFetch, in-process and over HTTP
#              against `wix-loyalty-wasm serve` (with a SIGTERM while requests are in flight)
#   server     `serve` from outside: the gate, coded refusals, slow clients, the CLI, Velo code under
#              the loader, and seeded hostile requests on memory, SQLite and PostgreSQL
#   storage    SQLite, PostgreSQL (a private cluster) and IndexedDB (headless Chromium) adapters:
#              conformance, bad states, many processes, kill -9
#   types      tsc --noEmit over the generated declarations and a typed consumer
#   package    npm pack → empty folder → ESM, CommonJS and a plain page in headless Chromium
#   bench      npm run bench -- --check: the performance budgets (ratios against baselines
#              measured in the same run, never absolute times)
#   demo       npm run demo's program runs to its final check
# and ends with one line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
logs=$(mktemp -d)
passed=0
failed=0
broken=()

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Adds the test counts a stage printed (cargo's "test result:" lines, node's "# pass/# fail").
sum() { grep -hoE "$1" "$2" | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }'; }
count() {
  local log=$1
  passed=$((passed + $(sum 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log") + $(sum '^# pass [0-9]+' "$log")))
  failed=$((failed + $(sum 'passed; [0-9]+ failed' "$log") + $(sum '^# fail [0-9]+' "$log")))
  # The budget check's own closing line: "N passed, M failed".
  local line
  line=$(grep -hE '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
  if [[ -n $line ]]; then
    passed=$((passed + ${line%% passed*}))
    failed=$((failed + $(sed -E 's/.*passed, ([0-9]+) failed/\1/' <<<"$line")))
  fi
}

stage() {
  local name=$1
  shift
  bold "$name"
  if "$@" 2>&1 | tee "$logs/$name.log"; then
    count "$logs/$name.log"
  else
    count "$logs/$name.log"
    broken+=("$name")
  fi
}

bash scripts/setup.sh test || { echo "setup failed"; exit 1; }

stage lint bash -c 'cargo fmt --check && cargo clippy --all-targets -- -D warnings && cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings && cargo clippy --target wasm32-unknown-unknown --lib --features boundary-bench -- -D warnings'
stage build bash -c 'node scripts/build.mjs && bash scripts/link-pkg.sh'
stage native cargo test -- --nocapture
stage wasm-node bash -c 'cargo test --target wasm32-unknown-unknown && wasm-pack test --node'
chrome() {
  WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome 2>&1 | tee "$logs/chrome-raw.log"
  local rc=${PIPESTATUS[0]}
  # wasm-pack exits 0 even when it skipped the suite: prove Chromium ran the boundary tests.
  if ! grep -q 'Running headless tests in Chrome' "$logs/chrome-raw.log"; then
    echo "FAILED: the browser suite did not run in Chromium"; return 1
  fi
  local ran
  ran=$(grep -oE 'test result: ok\. [0-9]+ passed' "$logs/chrome-raw.log" | grep -oE '[0-9]+' | sort -n | tail -1)
  if [[ -z $ran || $ran -lt 7 ]]; then
    echo "FAILED: expected the boundary suite (7+ tests) to pass in Chromium, saw ${ran:-none}"; return 1
  fi
  echo "browser suite ran in Chromium: $ran tests"
  return "$rc"
}
stage wasm-chrome chrome
stage js node --test tests/js/
stage sdk node --test --test-concurrency=1 tests/sdk/
stage server bash scripts/with-postgres.sh node --test --test-concurrency=1 tests/server/
stage storage bash scripts/with-postgres.sh node --test --test-concurrency=1 tests/storage/ tests/upgrade/
stage types npx tsc -p tests/types/tsconfig.json
stage package node --test tests/package/
stage bench bash scripts/with-postgres.sh node --expose-gc --max-old-space-size=6144 bench/run.mjs --check
stage demo bash -c 'node js/demo.mjs > "$0/demo.out" && tail -1 "$0/demo.out"' "$logs"

echo
if ((${#broken[@]})); then
  echo "failed stages: ${broken[*]} (logs in $logs)"
  echo "$passed passed, $((failed > 0 ? failed : ${#broken[@]})) failed"
  exit 1
fi
echo "$passed passed, $failed failed"
