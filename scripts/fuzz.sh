#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, then runs each for SECONDS
# (default 60) from its seed corpus in tests/fuzz/corpus. New inputs collect in
# build-fuzz/corpus, crashes in build-fuzz/crashes; the last line of each
# fuzzer's stats says how many inputs it ran. Exits non-zero on any finding.
#
#   scripts/fuzz.sh 300
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! command -v clang++-14 > /dev/null || ! compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" > /dev/null; then
  apt-get install -y --no-install-recommends clang-14 libfuzzer-14-dev libomp-14-dev
fi
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  -DVEIL_WITH_CUDA=OFF -DVEIL_WITH_MPI=OFF -DVEIL_WITH_NCCL=OFF -DVEIL_NATIVE=OFF \
  -DVEIL_BUILD_TESTS=OFF -DVEIL_BUILD_FUZZERS=ON > /dev/null
harnesses=(idx checkpoint ledger args safetensors)
cmake --build build-fuzz -j"$(nproc)" --target "${harnesses[@]/#/fuzz_}"
mkdir -p build-fuzz/crashes
status=0
for name in "${harnesses[@]}"; do
  mkdir -p "build-fuzz/corpus/$name"
  # One thread: the harnesses test parsing, not the thread pool.
  if ! OMP_NUM_THREADS=1 build-fuzz/bin/"fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crashes/$name-" "build-fuzz/corpus/$name" "tests/fuzz/corpus/$name" \
      > "build-fuzz/fuzz_$name.log" 2>&1; then
    status=1
    echo "fuzz_$name: FOUND A PROBLEM (build-fuzz/fuzz_$name.log, build-fuzz/crashes)"
  fi
  echo "fuzz_$name: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/fuzz_$name.log" | grep -o '[0-9]*$') executions in ${seconds} s"
done
exit "$status"
