#!/usr/bin/env bash
# Installs, builds and runs every test (CTest). CUDA sources compile when
# nvcc is present; [cuda] tests report a skip on machines without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
