#!/bin/sh
# Builds native/skf-soft/build/libskfsoft.so (see skf-soft.c for what it does).
# Needs gcc and OpenSSL 3 headers (Debian: libssl-dev). Paths are bounded by PATH_MAX;
# a truncated one only names a missing file, hence -Wno-format-truncation.
set -eu
cd "$(dirname "$0")"
mkdir -p build
gcc -shared -fPIC -O2 -Wall -Wextra -Wno-format-truncation -fvisibility=hidden -o build/libskfsoft.so.tmp.$$ skf-soft.c -lcrypto
mv build/libskfsoft.so.tmp.$$ build/libskfsoft.so
