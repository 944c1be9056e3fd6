#pragma once
// safetensors files: named tensors in the format PyTorch, JAX and
// Hugging Face tools read (safetensors.torch.load_file), so that a model
// trained with veil can be loaded elsewhere.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON
//   {"<name>": {"dtype": "F32", "shape": [16, 1, 8, 8], "data_offsets": [begin, end]},
//    ..., "__metadata__": {"<key>": "<value>", ...}}
// (padded with spaces to a multiple of 8 bytes), then the tensors' raw
// little-endian bytes; offsets count from the end of the header. dtypes:
// F32, F64, I64, U8 (veil's types).
//
// load_safetensors refuses, in one sentence naming the file, anything that
// is not exactly that: a file shorter than its header says, a header that is
// not a JSON object of such entries, an unknown dtype, a shape whose byte
// count does not match its offsets, offsets outside the data, or data with
// holes or overlaps (the format requires the entries to tile it).
#include <filesystem>
#include <map>
#include <string>

#include "veil/layers/module.h"

namespace veil {

// Writes `tensors` (CPU or not; copied to the CPU, made contiguous) in name
// order, atomically (core/file_io.h), with `metadata` as "__metadata__".
void save_safetensors(const std::filesystem::path& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata = {});

StateDict load_safetensors(const std::filesystem::path& path);
// The "__metadata__" strings of a file (empty when it has none).
std::map<std::string, std::string> load_safetensors_metadata(const std::filesystem::path& path);

}  // namespace veil
