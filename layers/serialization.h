#pragma once
// Saving named tensors and text fields to one file (checkpoints).
//
// Format version 2 (little-endian):
//
//   "VEILCKPT"            8-byte magic
//   u32 version           2
//   u64 file size         of the whole file, trailer included
//   u32 field count, then each field as (u32 length, bytes) for key and value
//   u32 tensor count, then each tensor as name (u32 length, bytes), u8 dtype,
//                         u32 rank, i64 dims, then the raw contiguous bytes
//   u32 CRC-32            zlib's crc32 over every byte before it
//
// load_checkpoint refuses, with a sentence naming the file and the problem, a
// file that is missing, not a veil checkpoint, of another format version (1
// had no checksum), shorter or longer than its header says (truncated or
// padded), or whose checksum does not match (corrupted).
//
// A checkpoint is a trusted file: the checksum catches accidental damage, not
// a deliberate forgery (anyone can recompute it). Load only checkpoints you
// or your pipeline wrote.
//
// save_checkpoint writes through write_file_atomically (core/file_io.h): a
// crash or power loss never leaves a half-written checkpoint, and only a
// regular file or a new path is replaced. load_checkpoint reads only regular
// files (a named pipe is refused, not waited on).
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
// Throws veil::Error naming the file for a missing, foreign, truncated,
// corrupted or malformed one, or one of another format version.
Checkpoint load_checkpoint(const std::filesystem::path& path);

}  // namespace veil
