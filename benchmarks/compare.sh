#!/usr/bin/env bash
# Runs mnist_dp_ddp with DP, mnist_dp_ddp --no-dp and plain PyTorch
# (benchmarks/pytorch_reference.py) in alternating rounds on the same data,
# epochs and threads, and prints each one's median epoch time (the training
# loop), start-up (reading and preparing the data set) and peak resident
# memory, and the ratios. These machines are noisy:
# alternate, take medians, and read the spread.
#
#   benchmarks/compare.sh DATA_DIR [ROUNDS=3] [THREADS=2] [EPOCHS=1]
# PYTHON names the Python that has PyTorch (default python3); MAX_STEPS, when
# set, stops every run after that many steps (a quick check of the script).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:?usage: benchmarks/compare.sh DATA_DIR [ROUNDS] [THREADS] [EPOCHS]}"
rounds="${2:-3}" threads="${3:-2}" epochs="${4:-1}"
python="${PYTHON:-python3}"  # the Python that has PyTorch
app=build/bin/mnist_dp_ddp
[[ -x $app ]] || { echo "error: $app not built (scripts/build.sh)" >&2; exit 1; }
"$python" -c "import torch" 2> /dev/null || { echo "error: PyTorch not found (Debian: python3-torch)" >&2; exit 1; }
kinds=(veil_dp veil_nodp pytorch)
limit=${MAX_STEPS:+--max-steps $MAX_STEPS}
declare -A cmd=(
  [veil_dp]="$app --data $data --epochs $epochs --threads $threads $limit"
  [veil_nodp]="$app --data $data --epochs $epochs --threads $threads --no-dp $limit"
  [pytorch]="$python benchmarks/pytorch_reference.py --data $data --epochs $epochs --threads $threads $limit"
)
declare -A seconds startup memory
out=$(mktemp) && trap 'rm -f "$out"' EXIT
for ((r = 1; r <= rounds; r++)); do
  for kind in "${kinds[@]}"; do
    # Peak resident memory of the whole process (KiB) from GNU time.
    /usr/bin/time -f '%M' -o "$out.mem" ${cmd[$kind]} > "$out"
    epoch=$(grep -o '| [0-9.]* s$' "$out" | tail -1 | grep -o '[0-9.]*')
    load=$(grep -o 'read and prepared in [0-9.]* s' "$out" | grep -o '[0-9.]*')
    seconds[$kind]+="$epoch "
    startup[$kind]+="$load "
    memory[$kind]+="$(cat "$out.mem") "
    echo "round $r $kind: epoch ${epoch} s, start-up ${load} s, peak $(($(cat "$out.mem") / 1024)) MiB"
  done
done
rm -f "$out.mem"
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo
printf '%-10s %14s %14s %14s\n' kind "epoch (s)" "start-up (s)" "peak (MiB)"
declare -A med
for kind in "${kinds[@]}"; do
  med[$kind]=$(echo "${seconds[$kind]}" | median)
  printf '%-10s %14s %14s %14d\n' "$kind" "${med[$kind]}" "$(echo "${startup[$kind]}" | median)" \
    $(($(echo "${memory[$kind]}" | median | cut -d. -f1) / 1024))
done
echo
awk -v dp="${med[veil_dp]}" -v nodp="${med[veil_nodp]}" -v pt="${med[pytorch]}" 'BEGIN {
  printf "veil DP / PyTorch:      %.2fx\n", dp / pt
  printf "veil DP / veil non-DP:  %.2fx\n", dp / nodp
  printf "veil non-DP / PyTorch:  %.2fx\n", nodp / pt }'
