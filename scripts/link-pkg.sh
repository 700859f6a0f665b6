#!/usr/bin/env bash
# Makes the built package importable by name ('wix-loyalty-wasm') from the test suites.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p node_modules
ln -sfn ../pkg node_modules/wix-loyalty-wasm
