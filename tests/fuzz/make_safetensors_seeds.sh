#!/usr/bin/env bash
# Writes the safetensors fuzzer's seeds into corpus/safetensors: small valid
# files (every dtype, a scalar, an empty tensor, metadata) and near-misses
# that each fail one check of the loader. Rerun after changing a case.
set -euo pipefail
cd "$(dirname "$0")/corpus/safetensors"
# seed NAME HEADER DATA: the header's length (8 bytes, little-endian), the
# JSON header, then DATA (printf escapes).
seed() {
  local n=${#2} length=""
  for shift in 0 8 16 24 32 40 48 56; do length+=$(printf '\\x%02x' $(((n >> shift) & 255))); done
  { printf "$length"; printf '%s' "$2"; printf "$3"; } > "$1"
}
f32='"dtype":"F32","shape":[2]'
seed two_tensors '{"b":{'"$f32"',"data_offsets":[0,8]},"n":{"dtype":"I64","shape":[1,1],"data_offsets":[8,16]},"__metadata__":{"format":"pt"}}' \
  '\x00\x00\x80\x3f\x00\x00\x00\xc0\x07\x00\x00\x00\x00\x00\x00\x00'
seed scalar_u8 '{"s":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}    ' '\x2a'
seed empty_f64 '{"e":{"dtype":"F64","shape":[0,3],"data_offsets":[0,0]}}' ''
seed no_tensors '{}      ' ''
seed bad_dtype '{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}' '\x00\x00\x80\x3f'
seed overlap '{"a":{'"$f32"',"data_offsets":[0,8]},"b":{'"$f32"',"data_offsets":[4,12]}}' \
  '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
seed nested_dtype '{"w":{"dtype":[[["F32"]]],"shape":[2],"data_offsets":[0,8]}}' '\x00\x00\x80\x3f\x00\x00\x80\x3f'
seed past_end '{"w":{'"$f32"',"data_offsets":[0,16]}}' '\x00\x00\x80\x3f\x00\x00\x80\x3f'
