#pragma once
// IDX files, the format of MNIST and Fashion-MNIST.
//
// Layout (all integers big-endian):
//   bytes 0-1  zero
//   byte  2    element type; only 0x08 (unsigned byte) is supported
//   byte  3    number of dimensions R
//   R x uint32 the dimensions, outermost first
//   payload    product(dims) elements, row-major
// MNIST images are rank 3 (magic 2051 = 0x00000803: count x rows x cols),
// labels rank 1 (magic 2049 = 0x00000801).
//
// Files may be plain or gzip-compressed; gzip is recognised by its magic bytes
// (1f 8b), never by the file name. Concatenated gzip members read as one
// stream; bytes after the last member that do not start another member are
// ignored, as zlib's gzread does (the decompressed data is still complete and
// checked against the gzip CRC).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

namespace veil::data {

struct IdxFile {
  std::vector<std::size_t> dims;      // outermost first, every entry > 0
  std::vector<std::uint8_t> payload;  // product(dims) bytes, row-major
};

// Largest payload read_idx_file accepts. Far above any IDX data set in use
// (EMNIST's largest file is about 0.7 GB); it keeps a corrupt header from
// asking for terabytes.
inline constexpr std::uint64_t kMaxIdxPayloadBytes = std::uint64_t{1} << 32;

// Reads a whole uint8 IDX file of rank `expected_dims`. Throws veil::Error,
// naming the file and the problem, when the file is missing or unreadable, the
// magic is wrong, the element type is not uint8, the rank differs from
// `expected_dims`, a dimension is zero, the payload would exceed
// kMaxIdxPayloadBytes, the file holds fewer or more bytes than the dimensions
// imply, the gzip stream is corrupt or truncated, or memory runs out for the
// payload the header announces. Never returns a partial read.
IdxFile read_idx_file(const std::filesystem::path& path, std::size_t expected_dims);

// Where read_idx_file_into puts a payload: given the checked dimensions and
// the payload's size, memory for that many bytes.
using IdxDestination = std::function<std::uint8_t*(const std::vector<std::size_t>& dims, std::uint64_t bytes)>;

// As read_idx_file, with the same checks and errors, but the payload is read
// straight into the memory `destination` returns (called once, after the
// header is checked), with no copy and no zero-filled buffer first: MNIST's
// 47 MB of training images load in a fifth of the CPU time. A gzip file's
// destination is asked for the size its header claims before the stream
// proves it holds that much. Returns the dimensions.
std::vector<std::size_t> read_idx_file_into(const std::filesystem::path& path, std::size_t expected_dims,
                                            const IdxDestination& destination);

}  // namespace veil::data
