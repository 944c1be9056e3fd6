#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/test_data.h"
#include "veil/data/idx_file.h"

using Catch::Matchers::Contains;
using veil::data::read_idx_file;
using veil::testing::error_message;
using veil::testing::idx_bytes;
using veil::testing::TempDir;
using veil::testing::write_file;
using veil::testing::write_gzip_file;

namespace {

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Bytes that do not compress to nothing, so a gzip stream has real content.
std::vector<std::uint8_t> varied_bytes(std::size_t n) {
  std::vector<std::uint8_t> bytes(n);
  std::uint32_t state = 12345;
  for (auto& byte : bytes) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<std::uint8_t>(state >> 24);
  }
  return bytes;
}

// read_idx_file_into with a plain buffer as the destination: the payload
// and the dimensions. new[] leaves the buffer untouched, so a header that
// claims gigabytes costs only the pages the stream really fills.
veil::data::IdxFile read_into_buffer(const std::filesystem::path& path, std::size_t dims) {
  std::unique_ptr<std::uint8_t[]> buffer;
  std::uint64_t size = 0;
  veil::data::IdxFile result;
  result.dims = veil::data::read_idx_file_into(path, dims, [&](const std::vector<std::size_t>&, std::uint64_t bytes) {
    buffer.reset(new std::uint8_t[bytes]);
    size = bytes;
    return buffer.get();
  });
  result.payload.assign(buffer.get(), buffer.get() + size);
  return result;
}

// The message of the error reading `path` as rank `dims`; checks it names the
// file, and that read_idx_file_into refuses the file with the same words.
std::string read_error(const std::filesystem::path& path, std::size_t dims) {
  std::string message = error_message([&] { read_idx_file(path, dims); });
  CHECK_THAT(message, Contains(path.string()));
  CHECK(error_message([&] { read_into_buffer(path, dims); }) == message);
  return message;
}

}  // namespace

TEST_CASE("idx: reads plain and gzip files alike", "[data][idx]") {
  TempDir dir;
  std::vector<std::uint8_t> images = varied_bytes(5 * 4 * 3);
  std::vector<std::uint8_t> labels = {0, 1, 2, 9, 7};
  for (bool gzip : {false, true}) {
    auto write = gzip ? write_gzip_file : write_file;
    std::string suffix = gzip ? ".gz" : "";
    write(dir.path() / ("images" + suffix), idx_bytes({5, 4, 3}, images));
    write(dir.path() / ("labels" + suffix), idx_bytes({5}, labels));

    veil::data::IdxFile image_file = read_idx_file(dir.path() / ("images" + suffix), 3);
    CHECK(image_file.dims == std::vector<std::size_t>{5, 4, 3});
    CHECK(image_file.payload == images);
    veil::data::IdxFile image_file_into = read_into_buffer(dir.path() / ("images" + suffix), 3);
    CHECK(image_file_into.dims == image_file.dims);
    CHECK(image_file_into.payload == images);
    veil::data::IdxFile label_file = read_idx_file(dir.path() / ("labels" + suffix), 1);
    CHECK(label_file.dims == std::vector<std::size_t>{5});
    CHECK(label_file.payload == labels);
  }
}

TEST_CASE("idx: gzip is recognised by its magic bytes, not the file name", "[data][idx]") {
  TempDir dir;
  std::vector<std::uint8_t> payload = varied_bytes(6);
  write_gzip_file(dir.path() / "compressed.idx", idx_bytes({2, 3}, payload));
  write_file(dir.path() / "plain.gz", idx_bytes({2, 3}, payload));
  CHECK(read_idx_file(dir.path() / "compressed.idx", 2).payload == payload);
  CHECK(read_idx_file(dir.path() / "plain.gz", 2).payload == payload);
}

TEST_CASE("idx: payloads larger than one read chunk", "[data][idx]") {
  TempDir dir;
  std::vector<std::uint8_t> payload = varied_bytes(1000 * 17 * 1024);  // 17 MB > one 16 MiB chunk
  std::vector<std::uint8_t> file = idx_bytes({1000, 17, 1024}, payload);
  write_file(dir.path() / "big", file);
  write_gzip_file(dir.path() / "big.gz", file);
  // Compared outside CHECK: on failure Catch would print 17 million elements.
  bool plain_equal = read_idx_file(dir.path() / "big", 3).payload == payload;
  CHECK(plain_equal);
  bool gzip_equal = read_idx_file(dir.path() / "big.gz", 3).payload == payload;
  CHECK(gzip_equal);

  file.resize(file.size() - 1);
  write_gzip_file(dir.path() / "short.gz", file);
  CHECK_THAT(read_error(dir.path() / "short.gz", 3), Contains("truncated payload"));
}

TEST_CASE("idx: missing or unreadable files", "[data][idx]") {
  TempDir dir;
  CHECK_THAT(read_error(dir.path() / "absent", 1), Contains("No such file"));
  CHECK_THAT(read_error(dir.path(), 1), Contains("is a directory"));
}

TEST_CASE("idx: a named pipe is refused, not waited on", "[data][idx]") {
  TempDir dir;
  const auto pipe = dir.path() / "train-images-idx3-ubyte";
  REQUIRE(mkfifo(pipe.c_str(), 0600) == 0);
  const auto result = veil::testing::run_in_child(
      [&] {
        if (read_error(pipe, 3).find("named pipe") == std::string::npos) throw std::runtime_error("wrong message");
      },
      30);
  INFO(result.describe());
  REQUIRE(result.finished);
  REQUIRE(result.status == 0);
}

TEST_CASE("idx: malformed headers", "[data][idx]") {
  TempDir dir;
  auto path = dir.path() / "bad";
  for (bool gzip : {false, true}) {
    auto write = gzip ? write_gzip_file : write_file;
    SECTION(std::string("empty file, gzip=") + (gzip ? "yes" : "no")) {
      write(path, {});
      CHECK_THAT(read_error(path, 1), Contains("truncated header") && Contains("magic number"));
    }
    SECTION(std::string("wrong magic, gzip=") + (gzip ? "yes" : "no")) {
      std::vector<std::uint8_t> bytes = idx_bytes({2}, {1, 2});
      bytes[0] = 0x12;
      write(path, bytes);
      CHECK_THAT(read_error(path, 1), Contains("not an IDX file") && Contains("0x12000801"));
    }
    SECTION(std::string("wrong type byte, gzip=") + (gzip ? "yes" : "no")) {
      write(path, idx_bytes({2}, {0, 0, 0, 0, 0, 0, 0, 0}, 0x0D));
      CHECK_THAT(read_error(path, 1), Contains("unsupported element type 0x0d (float)"));
    }
    SECTION(std::string("wrong number of dims, gzip=") + (gzip ? "yes" : "no")) {
      write(path, idx_bytes({2}, {1, 2}));
      CHECK_THAT(read_error(path, 3), Contains("wrong number of dimensions: 1, expected 3"));
    }
    SECTION(std::string("truncated dims, gzip=") + (gzip ? "yes" : "no")) {
      std::vector<std::uint8_t> bytes = idx_bytes({2, 3, 4}, {});
      bytes.resize(9);
      write(path, bytes);
      CHECK_THAT(read_error(path, 3), Contains("truncated header") && Contains("dimension list"));
    }
    SECTION(std::string("zero dim, gzip=") + (gzip ? "yes" : "no")) {
      write(path, idx_bytes({2, 0, 4}, {}));
      CHECK_THAT(read_error(path, 3), Contains("dimension 1 is zero"));
    }
    SECTION(std::string("absurd dims, gzip=") + (gzip ? "yes" : "no")) {
      write(path, idx_bytes({65536, 65536, 2}, {1, 2, 3}));
      CHECK_THAT(read_error(path, 3), Contains("absurd dimensions [65536, 65536, 2]"));
    }
  }
}

TEST_CASE("idx: payload size must match the dims", "[data][idx]") {
  TempDir dir;
  auto path = dir.path() / "bad";
  std::vector<std::uint8_t> payload = varied_bytes(24);
  for (bool gzip : {false, true}) {
    auto write = gzip ? write_gzip_file : write_file;
    SECTION(std::string("truncated payload, gzip=") + (gzip ? "yes" : "no")) {
      std::vector<std::uint8_t> shorter(payload.begin(), payload.end() - 1);
      write(path, idx_bytes({2, 3, 4}, shorter));
      CHECK_THAT(read_error(path, 3), Contains("truncated payload") && Contains("[2, 3, 4]") &&
                                          Contains("imply 24 bytes, only 23 present"));
    }
    SECTION(std::string("no payload, gzip=") + (gzip ? "yes" : "no")) {
      write(path, idx_bytes({2, 3, 4}, {}));
      CHECK_THAT(read_error(path, 3), Contains("truncated payload") && Contains("only 0 present"));
    }
    SECTION(std::string("trailing garbage, gzip=") + (gzip ? "yes" : "no")) {
      std::vector<std::uint8_t> longer = payload;
      longer.push_back(42);
      write(path, idx_bytes({2, 3, 4}, longer));
      CHECK_THAT(read_error(path, 3), Contains("trailing garbage") && Contains("24-byte payload"));
    }
  }
}

TEST_CASE("idx: corrupt gzip streams", "[data][idx]") {
  TempDir dir;
  auto good = dir.path() / "good.gz";
  auto bad = dir.path() / "bad.gz";
  write_gzip_file(good, idx_bytes({100, 10, 10}, varied_bytes(10000)));
  const std::vector<std::uint8_t> compressed = read_bytes(good);
  REQUIRE(compressed.size() > 100);

  SECTION("cut short") {
    auto half = compressed.begin() + static_cast<std::ptrdiff_t>(compressed.size() / 2);
    write_file(bad, std::vector<std::uint8_t>(compressed.begin(), half));
    CHECK_THAT(read_error(bad, 3), Contains("corrupt gzip stream"));
  }
  SECTION("cut inside the trailer") {
    write_file(bad, std::vector<std::uint8_t>(compressed.begin(), compressed.end() - 3));
    CHECK_THAT(read_error(bad, 3), Contains("corrupt gzip stream"));
  }
  SECTION("damaged compressed data") {
    std::vector<std::uint8_t> damaged = compressed;
    for (std::size_t i = 20; i < 60; ++i) damaged[i] ^= 0x5a;
    write_file(bad, damaged);
    CHECK_THAT(read_error(bad, 3), Contains("corrupt gzip stream"));
  }
  SECTION("wrong checksum") {
    std::vector<std::uint8_t> damaged = compressed;
    damaged[damaged.size() - 8] ^= 0xff;  // first byte of the CRC-32 trailer
    write_file(bad, damaged);
    CHECK_THAT(read_error(bad, 3),
               Contains("corrupt gzip stream") && Contains("incorrect data check"));
  }
  SECTION("only the gzip magic") {
    write_file(bad, {0x1f, 0x8b});
    CHECK_THAT(read_error(bad, 3), Contains("corrupt gzip stream"));
  }
}
