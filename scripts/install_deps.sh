#!/usr/bin/env bash
# Installs what veil builds and runs with on Debian (run as root). The CUDA
# toolkit (nvcc, cuBLAS, cuDNN, NCCL) is optional and not installed here.
set -euo pipefail
packages=(cmake g++ make pkg-config libeigen3-dev catch2 libopenmpi-dev openmpi-bin zlib1g-dev libsodium-dev nlohmann-json3-dev libcli11-dev libkissfft-dev dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
