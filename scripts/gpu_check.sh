#!/usr/bin/env bash
# Builds veil with CUDA (and NCCL when found), runs the whole test suite on
# the GPU, including the *_cuda agreement tests, and the benchmarks. Meant for
# a GPU machine that has nvcc, CMake and Python's NVIDIA cuDNN/NCCL wheels but
# no Debian packages: run scripts/gpu_deps.sh on a Debian machine first and
# bring .carry/ along. Logs go to LOG_DIR (default build-gpu/logs).
#
#   scripts/gpu_check.sh [LOG_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
logs="${1:-build-gpu/logs}"
mkdir -p "$logs"
deps="$PWD/.carry/gpu-deps"
[[ -d "$deps/usr/include/eigen3" ]] || { echo "error: $deps is missing: run scripts/gpu_deps.sh first" >&2; exit 1; }
export PATH="/usr/local/cuda/bin:$PATH"
nvidia-smi > "$logs/nvidia-smi.txt" 2>&1 || true

# NVIDIA's wheels ship versioned libraries only (libnccl.so.2): give CMake
# the unversioned names it links against, beside the wheels' headers.
wheel_root() {
  python3 -c "import importlib, sys; m = importlib.import_module('nvidia.$1'); print(list(m.__path__)[0])" 2>/dev/null
}
link_wheel() {  # link_wheel <module> <library stem> -> prints a <Pkg>_ROOT
  local root dir=build-gpu/wheels/$1
  root="$(wheel_root "$1")" || return 1
  mkdir -p "$dir/lib"
  ln -sfn "$root/include" "$dir/include"
  for lib in "$root"/lib/lib"$2".so.*; do ln -sf "$lib" "$dir/lib/lib$2.so"; break; done
  echo "$PWD/$dir"
}
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DVEIL_WITH_CUDA=ON -DVEIL_WITH_MPI=OFF
            -DCMAKE_PREFIX_PATH="$deps/usr" -DCMAKE_CUDA_ARCHITECTURES=native)
if nccl_root="$(link_wheel nccl nccl)"; then cmake_args+=(-DVEIL_WITH_NCCL=ON -DNCCL_ROOT="$nccl_root"); fi
if cudnn_root="$(link_wheel cudnn cudnn)"; then cmake_args+=(-DCUDNN_ROOT="$cudnn_root"); fi
export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:${nccl_root:-.}/lib:${cudnn_root:-.}/lib:${LD_LIBRARY_PATH:-}"

status=0
step() {  # step <name> <command...>: runs it, logs it, remembers a failure
  local name=$1; shift
  echo "== $name"
  if "$@" > "$logs/$name.log" 2>&1; then echo "   ok"; else echo "   FAILED (exit $?, $logs/$name.log)"; tail -n 30 "$logs/$name.log"; status=1; fi
}
step configure cmake -S . -B build-gpu "${cmake_args[@]}"
step build cmake --build build-gpu -j"$(nproc)"
step test ctest --test-dir build-gpu -j4 --output-on-failure
grep -E 'tests passed|Skipped|Failed' "$logs/test.log" || true
step bench_grad_sample build-gpu/bin/bench_grad_sample
step bench_train build-gpu/bin/bench_train
if [[ -d .carry/mnist ]]; then
  step app_cpu build-gpu/bin/mnist_dp_ddp --epochs 1 --data .carry/mnist
  step app_cuda build-gpu/bin/mnist_dp_ddp --epochs 1 --data .carry/mnist --device cuda
fi
exit "$status"
