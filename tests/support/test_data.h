#pragma once
// Helpers for tests that need files on disk: a scratch directory, writers for
// IDX fixtures (plain or gzip) and whole MNIST-format data sets, and the
// message of an expected veil::Error (file errors must name file and problem).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "veil/core/error.h"

namespace veil::testing {

// The message of the veil::Error that `f()` throws; fails the test when it
// throws nothing. Other exceptions propagate and fail the test too.
template <typename F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const veil::Error& error) {
    return error.what();
  }
  FAIL("expected a veil::Error, nothing was thrown");
  return {};
}

// A fresh, empty directory under the system temp directory, removed with
// everything in it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The bytes of an IDX file: magic (two zero bytes, `type`, dims.size()), the
// big-endian dims, then `payload` as is. Nothing is checked, so tests can
// build malformed files.
std::vector<std::uint8_t> idx_bytes(const std::vector<std::uint32_t>& dims,
                                    const std::vector<std::uint8_t>& payload,
                                    std::uint8_t type = 0x08);

void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);
// Writes `bytes` gzip-compressed, with zlib's gzwrite.
void write_gzip_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);

// Deterministic fixture content: pixel j of image i is (i * 31 + j * 7) % 256,
// label i is i % 10.
std::vector<std::uint8_t> fixture_images(std::size_t count, std::size_t rows, std::size_t cols);
std::vector<std::uint8_t> fixture_labels(std::size_t count);

// Writes the four files of an MNIST-format data set into `dir` (created if
// needed), with fixture content, plain or as .gz.
struct MnistFixture {
  std::size_t train_count = 20;
  std::size_t test_count = 10;
  std::size_t rows = 4;
  std::size_t cols = 3;
  bool gzip = false;
};
void write_mnist_dir(const std::filesystem::path& dir, const MnistFixture& fixture = {});

// The whole file, as bytes (empty when it cannot be read).
std::string read_text(const std::filesystem::path& path);
// Replaces the file at `path` with `bytes`.
void write_bytes(const std::filesystem::path& path, const std::string& bytes);
// `s` quoted for a POSIX shell command line.
std::string quote(const std::string& s);

}  // namespace veil::testing
