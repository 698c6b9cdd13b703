#!/bin/sh
# Builds native/p11-sm2-shim/build/libp11sm2shim.so (see p11-sm2-shim.c for what it does).
# Needs gcc and OpenSSL 3 headers (Debian: libssl-dev).
set -eu
cd "$(dirname "$0")"
mkdir -p build
gcc -shared -fPIC -O2 -Wall -Wextra -fvisibility=hidden -o build/libp11sm2shim.so.tmp.$$ p11-sm2-shim.c -ldl -lcrypto
mv build/libp11sm2shim.so.tmp.$$ build/libp11sm2shim.so
