// Checkpoint files: a round trip keeps every field and tensor bit for bit;
// any truncation, padding, flipped byte or other format version is refused
// with a message naming the file.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <iterator>

#include "support/test_data.h"
#include "veil/layers/serialization.h"

using namespace veil;
namespace fs = std::filesystem;

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

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// The message of load_checkpoint(path); it must name the file.
std::string refusal(const fs::path& path) {
  const std::string message = test::error_message([&] { load_checkpoint(path); });
  INFO(message);
  REQUIRE(message.find(path.string()) != std::string::npos);
  return message;
}

}  // namespace

TEST_CASE("a checkpoint round trip keeps fields and tensors exactly", "[layers][serialization]") {
  test::TempDir tmp;
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
  test::TempDir tmp;
  const fs::path good = tmp.path() / "good.ck", bad = tmp.path() / "bad.ck";
  save_checkpoint(good, small_checkpoint());
  const std::string bytes = read_bytes(good);
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
  test::TempDir tmp;
  const fs::path good = tmp.path() / "good.ck", bad = tmp.path() / "bad.ck";
  save_checkpoint(good, small_checkpoint());
  const std::string bytes = read_bytes(good);
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
  test::TempDir tmp;
  const fs::path good = tmp.path() / "good.ck", bad = tmp.path() / "bad.ck";
  save_checkpoint(good, small_checkpoint());
  const std::string bytes = read_bytes(good);
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
