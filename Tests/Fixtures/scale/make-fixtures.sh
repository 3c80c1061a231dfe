#!/usr/bin/env bash
# A small kernel-like CTF trace with scheduler switches (2 CPUs, 3000 events, 4 KiB packets), for
# the index tests that compare the parallel index with the serial one on a real reader.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf kernel-like
python3 ../../../bench/make-ctf-trace.py kernel-like-tmp 3000 2 1
mv kernel-like-tmp/pid-04000 kernel-like
rmdir kernel-like-tmp
