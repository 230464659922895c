#!/usr/bin/env bash
# Refreshes the vendored axe-core (internal/web/testdata/axe) from the exact
# version pinned in tools/axe/package-lock.json. Bump the version there
# (npm install --prefix tools/axe axe-core@X.Y.Z --save-exact), then run this.
# Tests and CI need neither node nor npm: see docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix tools/axe --no-audit --no-fund
mkdir -p internal/web/testdata/axe
cp tools/axe/node_modules/axe-core/axe.min.js tools/axe/node_modules/axe-core/LICENSE internal/web/testdata/axe/
echo "vendored axe-core $(node -p 'require("./tools/axe/node_modules/axe-core/package.json").version')"
