#!/usr/bin/env bash
# One command from a fresh clone to a working install: system packages, npm packages, built renderer.
# Nothing here downloads from anywhere but the npm registry and Debian's repositories.
set -euo pipefail
cd "$(dirname "$0")/.."

# Electron's binary and onnxruntime's CUDA libraries come from GitHub, which is unreachable here.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
export ONNXRUNTIME_NODE_INSTALL=skip
export ONNXRUNTIME_NODE_INSTALL_CUDA=skip

# postgresql: the server binaries (initdb, pg_ctl) the store tests use to start their own private cluster on a free
# loopback port (the shared-archive back end, issue 18); the tests do not use Debian's default cluster.
APT_PACKAGES=(chromium libopenjp2-tools libheif-examples libjxl-tools libavif-bin webp python3-torch python3-onnx python3-numpy python3-pil postgresql)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

npm run build:web
# The desktop bundles (main, preload, renderer) are built on every machine: electron-vite needs no Electron binary,
# so a desktop app that no longer builds fails CI even where the window cannot be opened.
npm run build
if [ -x node_modules/electron/dist/electron ]; then
  # better-sqlite3 in node_modules stays built for plain Node (CLI, tests); Electron's main process
  # loads a second copy built against Electron's ABI from build/electron-native.
  ver=$(node -p "require('electron/package.json').version")
  rm -rf build/electron-native && mkdir -p build/electron-native
  cp -r node_modules/better-sqlite3 build/electron-native/better-sqlite3
  (cd build/electron-native/better-sqlite3 && npx --no-install node-gyp rebuild --release --target="$ver" --runtime=electron --dist-url=https://electronjs.org/headers) \
    || echo "setup: warning: could not build better-sqlite3 for Electron $ver; the desktop window will not open the packet log"
  echo "setup: Electron found; desktop build in out/"
else
  echo "setup: Electron binary not available (download skipped); desktop bundles built in out/ all the same; 'npm start' will run 'gsc serve' in a browser instead"
fi
echo "setup: done"
