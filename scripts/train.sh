#!/usr/bin/env bash
# The main job on a fresh machine: install, build, train with DP-SGD.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
exec build/bin/mnist_dp_ddp "$@"
