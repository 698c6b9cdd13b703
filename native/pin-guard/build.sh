#!/bin/sh
# Builds native/pin-guard/build/libpinguard.so (see pin-guard.c for what it does).
set -eu
cd "$(dirname "$0")"
mkdir -p build
gcc -shared -fPIC -O2 -Wall -Wextra -fvisibility=hidden -o build/libpinguard.so.tmp.$$ pin-guard.c -ldl
mv build/libpinguard.so.tmp.$$ build/libpinguard.so
