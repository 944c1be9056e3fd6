#!/usr/bin/env bash
# Prepares, on a Debian machine, what a GPU machine without Debian packages
# needs to build veil: the headers and libraries of veil's non-CUDA
# dependencies unpacked under .carry/gpu-deps/ (git-ignored), and a copy of
# the MNIST files (gzipped) when a directory holding them is given. Copy or ship
# .carry/ with the tree; scripts/gpu_check.sh uses it.
#
#   scripts/gpu_deps.sh [MNIST_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libeigen3-dev catch2 libsodium-dev libsodium23 nlohmann-json3-dev libcli11-dev zlib1g-dev zlib1g)
rm -rf .carry/gpu-deps .carry/debs
mkdir -p .carry/gpu-deps .carry/debs
(cd .carry/debs && apt-get download "${packages[@]}")
for deb in .carry/debs/*.deb; do dpkg-deb -x "$deb" .carry/gpu-deps; done
rm -rf .carry/debs .carry/gpu-deps/usr/share/doc .carry/gpu-deps/usr/share/man
if (($#)); then
  mkdir -p .carry/mnist
  for f in "$1"/*-ubyte; do gzip -c "$f" > ".carry/mnist/$(basename "$f").gz"; done
fi
du -sh .carry
