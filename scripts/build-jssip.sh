#!/usr/bin/env bash
# Rebuilds the widget's SIP library: JsSIP (MIT) at a pinned version, bundled for the browser with esbuild
# (the npm package ships no browser bundle). The bundle and the licences of everything in it are committed
# under src/tongdai/portal/static/vendor/, so a machine that runs tongdai needs no Node.js; only this script
# does (Debian's nodejs and npm, and the npm registry).
set -euo pipefail
JSSIP=3.13.8
ESBUILD=0.28.2
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/src/tongdai/portal/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v npm >/dev/null || apt-get install -y -q nodejs npm
cd "$work"
echo '{"name": "tongdai-jssip-bundle", "private": true, "version": "1.0.0"}' > package.json
npm install --no-audit --no-fund --silent "jssip@$JSSIP" "esbuild@$ESBUILD"
echo 'import JsSIP from "jssip"; window.JsSIP = JsSIP;' > entry.js
node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --legal-comments=none \
  --outfile="$out/jssip-$JSSIP.min.js"
{
  echo "jssip-$JSSIP.min.js bundles these npm packages (all MIT), built by scripts/build-jssip.sh:"
  for p in jssip debug events ms sdp-transform; do
    version=$(node -p "require('./node_modules/$p/package.json').version")
    echo; echo "================ $p $version ================"; echo
    cat node_modules/$p/LICENSE* node_modules/$p/license* 2>/dev/null || true
  done
} > "$out/jssip-$JSSIP.LICENSES.txt"
echo "wrote $out/jssip-$JSSIP.min.js"
