#!/bin/sh
# ctest `openapi_responses` (CMakeLists.txt): the self-test of validate_responses.mjs, then every
# exchange the black-box suites recorded in DIR (SBAPI_RESPONSE_LOG) against openapi.yaml.
# Without node (>= 18) or tests/openapi/node_modules it skips (exit 77, ctest's
# SKIP_RETURN_CODE) with the reason; under CI=true that is a failure.
set -u
dir=${1:?usage: validate_responses.sh LOG_DIR}
here=$(cd "$(dirname "$0")" && pwd)

skip() {
  echo "openapi_responses: skipped: $1"
  if [ "${CI:-}" = true ]; then
    echo "openapi_responses: CI=true, so a missing tool is a failure"
    exit 1
  fi
  exit 77
}

command -v node >/dev/null 2>&1 || skip "node is not installed (scripts/setup.sh installs it)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$major" -ge 18 ] 2>/dev/null || skip "node $(node --version 2>/dev/null) is older than 18"
for pkg in openapi-backend js-yaml ajv-formats; do
  [ -f "$here/node_modules/$pkg/package.json" ] ||
    skip "tests/openapi/node_modules/$pkg is missing: run (cd tests/openapi && npm ci)"
done

node "$here/validate_responses.mjs" --self-test || exit 1
exec node "$here/validate_responses.mjs" "$dir"
