#!/usr/bin/env bash
# Generates TypeScript types from the OpenAPI document that the given binary prints, with
# openapi-typescript, and type-checks client.ts against them, as a consumer of the API would.
# Usage: clients/typescript/check.sh path/to/tenantry
set -euo pipefail
binary=$(realpath "$1")
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --silent
"$binary" openapi > openapi.json
npx --no-install openapi-typescript openapi.json -o schema.d.ts
npx --no-install tsc -p tsconfig.json
echo "typed client: generated and type-checked"
