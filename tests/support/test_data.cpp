#include "support/test_data.h"

#include <zlib.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace veil::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  // Random names keep concurrent test processes apart; the counter keeps
  // directories within one process apart even with equal random draws.
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path candidate = fs::temp_directory_path() / ("veil-test-" + std::to_string(random()) +
                                                      "-" + std::to_string(counter++));
    if (fs::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("TempDir: could not create a fresh directory");
}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor must not throw; leftovers are harmless
  fs::remove_all(path_, ignored);
}

std::vector<std::uint8_t> idx_bytes(const std::vector<std::uint32_t>& dims,
                                    const std::vector<std::uint8_t>& payload, std::uint8_t type) {
  std::vector<std::uint8_t> bytes = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t dim : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<std::uint8_t>(dim >> shift));
    }
  }
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

void write_file(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("write_file: cannot write " + path.string());
}

void write_gzip_file(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error("write_gzip_file: cannot open " + path.string());
  // gzwrite with 0 bytes returns 0 without an error, so only a short count for
  // a non-empty buffer is a failure.
  bool written =
      bytes.empty() || gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) ==
                           static_cast<int>(bytes.size());
  bool closed = gzclose_w(file) == Z_OK;
  if (!written || !closed)
    throw std::runtime_error("write_gzip_file: cannot write " + path.string());
}

std::vector<std::uint8_t> fixture_images(std::size_t count, std::size_t rows, std::size_t cols) {
  std::size_t pixels = rows * cols;
  std::vector<std::uint8_t> images(count * pixels);
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t j = 0; j < pixels; ++j) {
      images[i * pixels + j] = static_cast<std::uint8_t>((i * 31 + j * 7) % 256);
    }
  }
  return images;
}

std::vector<std::uint8_t> fixture_labels(std::size_t count) {
  std::vector<std::uint8_t> labels(count);
  for (std::size_t i = 0; i < count; ++i) labels[i] = static_cast<std::uint8_t>(i % 10);
  return labels;
}

void write_mnist_dir(const fs::path& dir, const MnistFixture& fixture) {
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::vector<std::uint8_t>& bytes) {
    if (fixture.gzip) {
      write_gzip_file(dir / (name + ".gz"), bytes);
    } else {
      write_file(dir / name, bytes);
    }
  };
  auto u32 = [](std::size_t n) { return static_cast<std::uint32_t>(n); };
  const std::pair<const char*, std::size_t> splits[] = {{"train", fixture.train_count},
                                                        {"t10k", fixture.test_count}};
  for (const auto& [prefix, count] : splits) {
    write(std::string(prefix) + "-images-idx3-ubyte",
          idx_bytes({u32(count), u32(fixture.rows), u32(fixture.cols)},
                    fixture_images(count, fixture.rows, fixture.cols)));
    write(std::string(prefix) + "-labels-idx1-ubyte",
          idx_bytes({u32(count)}, fixture_labels(count)));
  }
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace veil::testing
