#!/usr/bin/env bash
# An AddressSanitizer + UndefinedBehaviorSanitizer build of the library, apps
# and tests (the "asan" preset of CMakePresets.json: build-asan/, CPU only, as
# CUDA's runtime and ASan do not mix), and the whole test suite run on it.
# Any sanitizer report fails the test that triggered it. Extra arguments go to
# ctest (e.g. -R serialization).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset asan > /dev/null
cmake --build --preset asan -j"$(nproc)"
# detect_leaks=0: MPI and OpenMP runtimes keep allocations until exit.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset asan -j"$(nproc)" "$@"
