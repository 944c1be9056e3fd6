#pragma once
// Saving named tensors and text fields to one file (checkpoints).
//
// Format (little-endian): the magic "VEILCKPT", a u32 version, a u32 count
// of text fields, each (u32 length, bytes) x 2, a u32 count of tensors, each
// name, u8 dtype, u32 rank, i64 dims, then the raw contiguous bytes.
// save_checkpoint writes a temporary file beside the target and renames it
// over, so a crash never leaves a half-written checkpoint.
#include <filesystem>
#include <map>
#include <string>

#include "veil/core/tensor.h"

namespace veil {

struct Checkpoint {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> fields;
};

void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint);
// Throws veil::Error naming the file for a missing, truncated or malformed one.
Checkpoint load_checkpoint(const std::filesystem::path& path);

}  // namespace veil
