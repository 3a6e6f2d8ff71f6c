#!/usr/bin/env bash
# Regenerates validate.cjs from the pinned packages in package-lock.json (needs the npm registry; the tests do not).
# kubernetes-models compiles the Kubernetes OpenAPI schemas, and the Strimzi and CloudNativePG CRDs' openAPIV3Schema,
# into ajv validators; esbuild bundles the kinds this stack uses into one file that runs on plain Node.js.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npx esbuild validate.mjs --bundle --minify --platform=node --format=cjs --target=node18 --legal-comments=eof --outfile=validate.cjs
rm -rf node_modules
