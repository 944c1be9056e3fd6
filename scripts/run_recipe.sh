#!/bin/sh
# Runs one of mnist_dp_ddp's recipes as docs/results.md reports it: seeds 0,
# 1 and 2 with DP, then the same recipe with --no-dp as the non-private
# reference, each with a --json summary and its log in OUT_DIR, and the wall
# and CPU time of every run (loading and evaluation included) in
# OUT_DIR/NAME.time.
#
#   scripts/run_recipe.sh RECIPE DATA_DIR OUT_DIR [THREADS]
#
# APP=PATH runs another build of mnist_dp_ddp.
#
# then scripts/plot_privacy_utility.py draws OUT_DIR's summaries.
set -eu
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 RECIPE DATA_DIR OUT_DIR [THREADS]" >&2
  exit 2
fi
recipe=$1 data=$2 out=$3 threads=${4:-2}
app=${APP:-$(dirname "$0")/../build/bin/mnist_dp_ddp}
[ -x "$app" ] || { echo "$0: $app not found: build the mnist_dp_ddp target first" >&2; exit 1; }
mkdir -p "$out"
run() {
  name=$1
  shift
  /usr/bin/time -o "$out/$name.time" -f "%e s wall, %U s user, %S s system, $threads thread(s)" \
    "$app" --recipe "$recipe" --data "$data" --threads "$threads" --json "$out/$name.json" "$@" > "$out/$name.log" 2>&1
}
# RUN=seed0 (seed1, seed2, nodp) runs only that one: the runs are independent.
for seed in 0 1 2; do
  if [ -z "${RUN:-}" ] || [ "$RUN" = "seed$seed" ]; then run "${recipe}_seed$seed" --seed "$seed"; fi
done
# Without clipping, the recipes' lr 2 (meant for gradients clipped to 0.1)
# diverges: the reference takes lr 0.1, what works for this model without DP.
if [ -z "${RUN:-}" ] || [ "$RUN" = "nodp" ]; then run "${recipe}_nodp" --no-dp --lr 0.1; fi
