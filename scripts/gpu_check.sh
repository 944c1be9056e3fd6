#!/usr/bin/env bash
# Builds what a GPU check needs (veil with CUDA, NCCL when found), runs the
# CPU-vs-CUDA agreement tests (and the NCCL test), bench_grad_sample and
# bench_train on the GPU, bench_train again with CUDA graphs (graphed against
# eager steps) and with convolutions through cuDNN (VEIL_CUDA_CONV=cudnn, to
# compare the routes), and a 1-epoch mnist_dp_ddp --device cuda with DP and
# with --no-dp, eager and with --cuda-graphs; with two GPUs or more and mpirun,
# also 2 ranks of it over NCCL. Every log and a summary.json go to OUTDIR. Meant for a GPU machine that has
# nvcc, CMake and Python's NVIDIA cuDNN/NCCL wheels but no Debian packages:
# run scripts/gpu_deps.sh on a Debian machine first and bring .carry/ along
# (header-only and small dependencies, and the MNIST files). Budget: under
# 8 minutes on one H200 with 16 cores.
#
#   scripts/gpu_check.sh [OUTDIR]
set -uo pipefail
cd "$(dirname "$0")/.."
logs="$(mkdir -p "${1:-build-gpu/logs}" && cd "${1:-build-gpu/logs}" && pwd)"
deps="$PWD/.carry/gpu-deps"
[[ -d "$deps/usr/include/eigen3" ]] || { echo "error: $deps is missing: run scripts/gpu_deps.sh first" >&2; exit 1; }
export PATH="/usr/local/cuda/bin:$PATH"

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
            -DCMAKE_PREFIX_PATH="$deps/usr" -DCMAKE_CUDA_ARCHITECTURES="${CMAKE_CUDA_ARCHITECTURES:-90}")
nccl_root="$(link_wheel nccl nccl)" && cmake_args+=(-DVEIL_WITH_NCCL=ON -DNCCL_ROOT="$nccl_root")
cudnn_root="$(link_wheel cudnn cudnn)" && cmake_args+=(-DCUDNN_ROOT="$cudnn_root")
# The wheels' own library folders: cuDNN is opened at run time by its
# versioned name (libcudnn.so.9), and opens its sub-libraries from the path.
wheel_libs=""
for module in nccl cudnn cublas; do
  root="$(wheel_root "$module")" && wheel_libs+="$root/lib:"
done
export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:$wheel_libs${LD_LIBRARY_PATH:-}"
gpus="$(nvidia-smi --list-gpus 2>/dev/null | wc -l)"
# Several ranks need MPI to start them: only where it can run them one per GPU.
if ((gpus > 1)) && command -v mpirun > /dev/null; then
  cmake_args=("${cmake_args[@]/-DVEIL_WITH_MPI=OFF/-DVEIL_WITH_MPI=AUTO}")
fi
mnist=""
[[ -d .carry/mnist ]] && mnist="$PWD/.carry/mnist"

# What was found, at the top of the log.
{
  echo "gpu_check: $(date -u +%FT%TZ) in $PWD, logs in $logs"
  echo "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -1)"
  echo "nvcc: $(nvcc --version 2>&1 | tail -1)"
  echo "cmake: $(cmake --version | head -1); cores: $(nproc)"
  echo "dependencies: $deps"
  echo "cuDNN: ${cudnn_root:-not found}; NCCL: ${nccl_root:-not found}; MNIST: ${mnist:-not found}"
  echo "GPUs: $gpus; mpirun: $(command -v mpirun || echo 'not found')"
} | tee "$logs/found.txt"
nvidia-smi > "$logs/nvidia-smi.txt" 2>&1 || true

status=0
declare -A outcome
# The whole check must end within its budget (8 minutes on the H200 machine
# it is sized for): each step gets its own cap, cut to what is left of the
# budget less a reserve for the summary, and a step with under 10 s left is
# recorded as not run rather than started to be killed.
budget=${GPU_CHECK_BUDGET_S:-450}
reserve=15
echo "time budget: ${budget} s" | tee -a "$logs/found.txt"
step() {  # step <name> <seconds> <command...>: runs it with a time limit, logs it, remembers the outcome
  local name=$1 limit=$2 start=$SECONDS; shift 2
  local left=$((budget - reserve - SECONDS))
  ((limit > left)) && limit=$left
  echo "== $name (limit ${limit} s)"
  if ((limit < 10)); then
    outcome[$name]="not run (time budget spent)"
    status=1
  elif timeout "$limit" "$@" > "$logs/$name.log" 2>&1; then
    outcome[$name]="ok $((SECONDS - start))s"
  else
    outcome[$name]="failed (exit $?) $((SECONDS - start))s"
    tail -n 30 "$logs/$name.log"
    status=1
  fi
  echo "   ${outcome[$name]}"
}
# Every test file with [cuda] cases (their _cuda entries), and the NCCL test when NCCL was found.
cuda_tests=()
mapfile -t cuda_sources < <(grep -rl '\[cuda\]' tests --include='test_*.cpp')
for source in "${cuda_sources[@]}"; do
  [[ $source == *_nccl.cpp && -z "$nccl_root" ]] || cuda_tests+=("$(basename "$source" .cpp)")
done
apps=(mnist_dp_ddp bench_train bench_grad_sample)
generator=()
[[ ! -f build-gpu/CMakeCache.txt ]] && command -v ninja > /dev/null && generator=(-G Ninja)
# In order of what the check most needs, should the budget run short: the
# build, the agreement tests, the app's epochs, then the benchmarks.
step configure 60 cmake -S . -B build-gpu "${generator[@]}" "${cmake_args[@]}"
step build 270 cmake --build build-gpu -j"$(nproc)" --target "${cuda_tests[@]}" "${apps[@]}"
step test 90 ctest --test-dir build-gpu -R '_cuda$|_two_gpus$|_nccl$' -j4 --output-on-failure
if [[ -n "$mnist" ]]; then
  step app_cuda 60 build-gpu/bin/mnist_dp_ddp --epochs 1 --data "$mnist" --device cuda --json "$logs/app_cuda.json"
  step app_cuda_no_dp 45 build-gpu/bin/mnist_dp_ddp --epochs 1 --data "$mnist" --device cuda --no-dp \
    --json "$logs/app_cuda_no_dp.json"
fi
step bench_train 45 build-gpu/bin/bench_train --device cuda --json "$logs/bench_train.json"
step bench_grad_sample 45 build-gpu/bin/bench_grad_sample --device cuda --batch-sizes 256 --json "$logs/bench_grad_sample.json"
step bench_train_graphs 45 build-gpu/bin/bench_train --device cuda --cuda-graphs --json "$logs/bench_train_graphs.json"
step bench_train_cudnn 45 env VEIL_CUDA_CONV=cudnn build-gpu/bin/bench_train --device cuda --json "$logs/bench_train_cudnn.json"
if [[ -n "$mnist" ]]; then
  # Graphs pay where batch shapes repeat: --no-dp's fixed batches, and
  # Poisson batches only as far as their sizes recur among the kept graphs.
  step app_cuda_graphs 60 build-gpu/bin/mnist_dp_ddp --epochs 1 --data "$mnist" --device cuda --cuda-graphs \
    --json "$logs/app_cuda_graphs.json"
  step app_cuda_no_dp_graphs 45 build-gpu/bin/mnist_dp_ddp --epochs 1 --data "$mnist" --device cuda --no-dp \
    --cuda-graphs --json "$logs/app_cuda_no_dp_graphs.json"
fi
if [[ -n "$mnist" ]] && ((gpus > 1)) && grep -q '^VEIL_WITH_MPI:STRING=ON' build-gpu/CMakeCache.txt; then
  step app_cuda_2_ranks 60 mpirun -np 2 --allow-run-as-root build-gpu/bin/mnist_dp_ddp --epochs 1 --data "$mnist" \
    --device cuda --json "$logs/app_cuda_2_ranks.json"
fi

# summary.json: each step's outcome, the test counts and the JSON results.
for name in "${!outcome[@]}"; do echo "$name=${outcome[$name]}"; done > "$logs/outcomes.txt"
python3 - "$logs" <<'PY'
import json, os, re, sys
logs = sys.argv[1]
summary = {"found": open(os.path.join(logs, "found.txt")).read().splitlines(), "steps": {}}
for line in open(os.path.join(logs, "outcomes.txt")):
    name, _, outcome = line.rstrip("\n").partition("=")
    summary["steps"][name] = outcome
test_log = os.path.join(logs, "test.log")
if os.path.exists(test_log):
    text = open(test_log).read()
    match = re.search(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", text)
    if match:
        summary["tests"] = {"failed": int(match.group(2)), "total": int(match.group(3)),
                            "skipped": len(re.findall(r"\*\*\*Skipped", text))}
for name in ("bench_grad_sample", "bench_train", "bench_train_graphs", "bench_train_cudnn", "app_cuda", "app_cuda_no_dp",
             "app_cuda_graphs", "app_cuda_no_dp_graphs", "app_cuda_2_ranks"):
    path = os.path.join(logs, name + ".json")
    if os.path.exists(path):
        with open(path) as f:
            text = f.read().strip()
        try:
            summary[name] = json.loads(text)
        except json.JSONDecodeError:  # JSON lines: keep each
            summary[name] = [json.loads(line) for line in text.splitlines() if line.strip()]
# The two GPU convolution routes side by side (core/conv_kernels.h): median
# step times, and cuDNN's over im2row's (below 1: cuDNN is faster).
routes = {name: summary.get(key) for name, key in (("im2row", "bench_train"), ("cudnn", "bench_train_cudnn"))}
if all(isinstance(r, dict) for r in routes.values()):
    summary["conv_routes"] = {
        kind.rstrip("_"): {"im2row_ms": routes["im2row"].get(kind + "median_step_ms"),
               "cudnn_ms": routes["cudnn"].get(kind + "median_step_ms"),
               "cudnn_over_im2row": routes["cudnn"][kind + "median_step_ms"] / routes["im2row"][kind + "median_step_ms"]}
        for kind in ("dp_", "non_dp_")
        if routes["im2row"].get(kind + "median_step_ms") and routes["cudnn"].get(kind + "median_step_ms")}
    print("convolution routes:", json.dumps(summary["conv_routes"]))
# The GPU performance goals (README), each with its measured figure and whether it is met
# (absent when the run that measures it did not finish).
goals = {}
def epoch_seconds(name):  # of a whole MNIST epoch (300 steps of expected batch 200), else None
    run = summary.get(name)
    if not isinstance(run, dict) or not run.get("epochs") or run["epochs"][0]["steps"] < 300:
        return None
    return run["epochs"][0]["seconds"]
# Eager and with --cuda-graphs, each its own line.
for suffix in ("", "_graphs"):
    dp_s, plain_s = epoch_seconds("app_cuda" + suffix), epoch_seconds("app_cuda_no_dp" + suffix)
    if dp_s is not None:
        goals["dp_epoch_seconds_under_0.5" + suffix] = {"measured": dp_s, "met": dp_s < 0.5}
    if dp_s is not None and plain_s:
        goals["app_dp_over_non_dp_at_most_1.3" + suffix] = {"measured": dp_s / plain_s, "met": dp_s / plain_s <= 1.3}
train = summary.get("bench_train")
if isinstance(train, dict) and train.get("dp_over_non_dp"):
    ratio = train["dp_over_non_dp"]
    goals["bench_train_dp_over_non_dp_at_most_1.3"] = {"measured": ratio, "met": ratio <= 1.3}
grad_sample = summary.get("bench_grad_sample")
if isinstance(grad_sample, dict):
    for row in grad_sample.get("rows", []):
        if row["batch"] == 256 and (row["layer"].startswith("linear") or row["layer"].startswith("conv")):
            goals["per_sample_overhead_" + row["layer"] + "_at_most_1.5"] = {
                "measured": row["auto_ratio"], "route": row["auto_route"], "met": row["auto_ratio"] <= 1.5}
summary["goals"] = goals
# Whether graphs pay on this GPU: graphed over eager step times (below 1: they do).
graphs = summary.get("bench_train_graphs")
if isinstance(graphs, dict):
    summary["cuda_graphs"] = {key: graphs.get(key) for key in
                              ("dp_graphed_over_eager", "non_dp_graphed_over_eager", "dp_over_non_dp_graphed",
                               "graphed_matches_eager")}
    print("CUDA graphs:", json.dumps(summary["cuda_graphs"]))
for name, goal in goals.items():
    print(f"goal {name}: {goal['measured']:.3f} -> {'met' if goal['met'] else 'NOT met'}")
with open(os.path.join(logs, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2)
PY
echo "summary: $logs/summary.json"
exit "$status"
