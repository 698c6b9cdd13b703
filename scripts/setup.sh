#!/usr/bin/env bash
# Sets up a fresh Debian machine that has Node and npm: installs the Debian
# packages of scripts/debian-packages.txt that are missing (as root, or
# through sudo), then the npm dependencies (npm ci). Run again, it only does
# what is missing. README: `scripts/setup.sh && npm run demo` / `&& npm test`.
#   SETUP_DRY_RUN=1  print what would be done, change nothing
set -euo pipefail
cd "$(dirname "$0")/.."

# One package a line; `#` comments and blank lines ignored.
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' scripts/debian-packages.txt)

run() {
  if [ "${SETUP_DRY_RUN:-}" = 1 ]; then echo "would run: $*"; else "$@"; fi
}

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi

# A foreign-architecture package (wine32:i386) needs its architecture enabled before apt can see it.
for pkg in "${packages[@]}"; do
  case "$pkg" in
    *:*)
      arch="${pkg##*:}"
      if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        echo "setup: enabling the $arch architecture"
        run "${sudo[@]}" dpkg --add-architecture "$arch"
      fi
      ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "${#sudo[@]}" -gt 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo (needed for apt-get)" >&2; exit 1; }
  fi
  run "${sudo[@]}" apt-get update -qq
  run "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

# npm ci wipes node_modules: only when it does not hold what the lockfile asks for.
if ! node scripts/npm-deps-current.mjs; then
  run npm ci --no-audit --no-fund
else
  echo "setup: npm dependencies up to date (run npm ci to reinstall)"
fi
