#!/usr/bin/env bash
# An AddressSanitizer + UndefinedBehaviorSanitizer build of the library, apps
# and tests in build-sanitize/ (CPU only: CUDA's runtime and ASan do not mix),
# and the whole test suite run on it. Any sanitizer report fails the test that
# triggered it. Extra arguments go to ctest (e.g. -R serialization).
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" \
  -DVEIL_WITH_CUDA=OFF -DVEIL_NATIVE=OFF > /dev/null
cmake --build build-sanitize -j"$(nproc)"
# detect_leaks=0: MPI and OpenMP runtimes keep allocations until exit.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -j"$(nproc)" "$@"
