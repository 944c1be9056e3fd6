// Checkpoint files: a round trip keeps every field and tensor bit for bit;
// any truncation, padding, flipped byte or other format version is refused
// with a message naming the file.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "support/checkpoint_bytes.h"
#include "support/child_process.h"
#include "support/test_data.h"
#include "veil/layers/serialization.h"

using namespace veil;
namespace fs = std::filesystem;

using veil::testing::read_text;
using veil::testing::write_bytes;

namespace {

Checkpoint small_checkpoint() {
  Checkpoint ck;
  ck.fields["epoch"] = "3";
  ck.fields["privacy_ledger"] = "veil-privacy-ledger 1\nentries 1\n0.1 1 20\n";
  ck.tensors["model.w"] = Tensor::from_vector<float>({1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -1.0f}, {2, 3});
  ck.tensors["optimizer.step"] = Tensor::from_vector<std::int64_t>({42}, {1});
  ck.tensors["empty"] = Tensor::zeros({0, 4});
  return ck;
}

// The message of load_checkpoint(path); it must name the file.
std::string refusal(const fs::path& path) {
  const std::string message = testing::error_message([&] { load_checkpoint(path); });
  INFO(message);
  REQUIRE(message.find(path.string()) != std::string::npos);
  return message;
}

}  // namespace

TEST_CASE("a checkpoint round trip keeps fields and tensors exactly", "[layers][serialization]") {
  testing::TempDir tmp;
  const fs::path path = tmp.path() / "ck";
  const Checkpoint saved = small_checkpoint();
  save_checkpoint(path, saved);
  REQUIRE(!fs::exists(path.string() + ".tmp"));
  const Checkpoint loaded = load_checkpoint(path);
  REQUIRE(loaded.fields == saved.fields);
  REQUIRE(loaded.tensors.size() == saved.tensors.size());
  REQUIRE(loaded.tensors.at("model.w").shape() == Shape{2, 3});
  REQUIRE(loaded.tensors.at("model.w").to_vector<float>() == saved.tensors.at("model.w").to_vector<float>());
  REQUIRE(loaded.tensors.at("optimizer.step").to_vector<std::int64_t>() == std::vector<std::int64_t>{42});
  REQUIRE(loaded.tensors.at("empty").shape() == Shape{0, 4});
}

TEST_CASE("a checkpoint with any byte changed is refused", "[layers][serialization]") {
  testing::TempDir tmp;
  const fs::path good = tmp.path() / "good.ck", bad = tmp.path() / "bad.ck";
  save_checkpoint(good, small_checkpoint());
  const std::string bytes = read_text(good);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (const unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string changed = bytes;
      changed[i] = static_cast<char>(changed[i] ^ mask);
      write_bytes(bad, changed);
      INFO("byte " << i << " of " << bytes.size() << " xor " << int(mask));
      refusal(bad);
    }
  }
  // The payload itself, not only the header, is covered: a flip in the
  // tensor data is reported as corruption.
  std::string changed = bytes;
  changed[bytes.size() - 8] ^= 0x10;
  write_bytes(bad, changed);
  REQUIRE(refusal(bad).find("corrupted") != std::string::npos);
}

TEST_CASE("a truncated or padded checkpoint is refused", "[layers][serialization]") {
  testing::TempDir tmp;
  const fs::path good = tmp.path() / "good.ck", bad = tmp.path() / "bad.ck";
  save_checkpoint(good, small_checkpoint());
  const std::string bytes = read_text(good);
  write_bytes(bad, "");
  REQUIRE(refusal(bad).find("empty") != std::string::npos);
  for (std::size_t size = 1; size < bytes.size(); ++size) {
    write_bytes(bad, bytes.substr(0, size));
    INFO("first " << size << " of " << bytes.size() << " bytes");
    REQUIRE(refusal(bad).find("truncated") != std::string::npos);
  }
  write_bytes(bad, bytes + std::string(1, '\0'));
  REQUIRE(refusal(bad).find("corrupted") != std::string::npos);
}

TEST_CASE("a checkpoint of another format version, a foreign file and a missing file are refused",
          "[layers][serialization]") {
  testing::TempDir tmp;
  const fs::path good = tmp.path() / "good.ck", bad = tmp.path() / "bad.ck";
  save_checkpoint(good, small_checkpoint());
  const std::string bytes = read_text(good);
  for (const std::uint32_t version : {1u, 3u}) {
    std::string changed = bytes;
    std::memcpy(changed.data() + 8, &version, sizeof(version));
    write_bytes(bad, changed);
    const std::string message = refusal(bad);
    REQUIRE(message.find("version " + std::to_string(version)) != std::string::npos);
    REQUIRE(message.find("only version 2") != std::string::npos);
  }
  write_bytes(bad, "these are not the weights you are looking for\n");
  REQUIRE(refusal(bad).find("not a veil checkpoint") != std::string::npos);
  REQUIRE(refusal(tmp.path() / "absent.ck").find("cannot be opened") != std::string::npos);
}

TEST_CASE("a checkpoint whose records claim more than the file holds is refused before allocating",
          "[layers][serialization]") {
  testing::TempDir tmp;
  const fs::path bad = tmp.path() / "bad.ck";
  const auto refused = [&](const testing::CheckpointBytes& file, const std::string& problem) {
    write_bytes(bad, file.seal());
    INFO(problem);
    REQUIRE(refusal(bad).find(problem) != std::string::npos);
  };
  // A 1 GiB string in a file of a few dozen bytes.
  refused(testing::CheckpointBytes().u32(1).u32(1u << 30).raw("epoch"), "malformed");
  // Dimensions whose product overflows int64, with or without a zero after
  // them (which would make the byte count 0).
  const std::int64_t big = std::int64_t{1} << 32;
  refused(testing::CheckpointBytes().u32(0).u32(1).text("w").u8(0).u32(2).i64(big).i64(big), "overflows");
  refused(testing::CheckpointBytes().u32(0).u32(1).text("w").u8(0).u32(3).i64(big).i64(big).i64(0), "overflows");
  refused(testing::CheckpointBytes().u32(0).u32(1).text("w").u8(0).u32(1).i64(std::int64_t{1} << 61), "larger than the file");
  // The builder itself writes loadable files.
  write_bytes(bad, testing::CheckpointBytes().u32(1).text("epoch").text("3").u32(1).text("w").u8(0).u32(2).i64(0).i64(big).seal());
  REQUIRE(load_checkpoint(bad).tensors.at("w").shape() == Shape{0, big});
}

TEST_CASE("a named pipe in place of a checkpoint is refused, not waited on", "[layers][serialization]") {
  testing::TempDir tmp;
  const fs::path pipe = tmp.path() / "pipe.ck";
  REQUIRE(mkfifo(pipe.c_str(), 0600) == 0);
  const auto result = testing::run_in_child(
      [&] {
        if (refusal(pipe).find("named pipe") == std::string::npos) throw std::runtime_error("wrong message");
      },
      30);
  INFO(result.describe());
  REQUIRE(result.finished);
  REQUIRE(result.status == 0);
}

TEST_CASE("save_checkpoint never replaces a device or a pipe", "[layers][serialization]") {
  testing::TempDir tmp;
  const fs::path null_link = tmp.path() / "null.ck";  // /dev/null, reached through a link
  fs::create_symlink("/dev/null", null_link);
  save_checkpoint(null_link, small_checkpoint());
  REQUIRE(fs::is_symlink(fs::symlink_status(null_link)));
  REQUIRE(fs::is_character_file(null_link));
  const fs::path pipe = tmp.path() / "pipe.ck";
  REQUIRE(mkfifo(pipe.c_str(), 0600) == 0);
  REQUIRE(testing::error_message([&] { save_checkpoint(pipe, small_checkpoint()); }).find("named pipe") !=
          std::string::npos);
  REQUIRE(fs::is_fifo(pipe));
}
