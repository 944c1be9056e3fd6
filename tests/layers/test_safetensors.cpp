#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include "support/test_data.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/layers/safetensors.h"
#include "veil/layers/sample_conv_net.h"

using namespace veil;
using veil::testing::error_message;
using veil::testing::TempDir;

using veil::testing::read_text;
using veil::testing::write_bytes;

namespace {

// A file from a header text and data bytes, length prefix included.
std::string file_of(const std::string& header, const std::string& data) {
  std::string file(8, '\0');
  const std::uint64_t length = header.size();
  std::memcpy(file.data(), &length, 8);
  return file + header + data;
}

}  // namespace

TEST_CASE("safetensors round-trips every dtype, with metadata", "[layers][safetensors]") {
  TempDir dir;
  const auto path = dir.path() / "t.safetensors";
  StateDict state;
  state["a.weight"] = Tensor::uniform({3, 4}, -1, 1, 1);
  state["b"] = Tensor::uniform({2}, -1, 1, 2, 0, DType::Float64);
  state["c"] = Tensor::from_vector<std::int64_t>({-5, 7, 1LL << 40}, {3});
  state["d"] = Tensor::from_vector<std::uint8_t>({0, 255}, {2, 1});
  state["empty"] = Tensor::empty({0, 3});
  state["scalar"] = Tensor::from_vector<float>({2.5f}, {});
  save_safetensors(path, state, {{"format", "pt"}});
  const StateDict back = load_safetensors(path);
  REQUIRE(back.size() == state.size());
  for (const auto& [name, t] : state) {
    INFO(name);
    REQUIRE(back.count(name) == 1);
    REQUIRE(back.at(name).shape() == t.shape());
    REQUIRE(back.at(name).dtype() == t.dtype());
    if (t.numel() > 0) REQUIRE(std::memcmp(back.at(name).raw_data(), t.raw_data(), t.numel() * dtype_size(t.dtype())) == 0);
  }
  REQUIRE(load_safetensors_metadata(path) == std::map<std::string, std::string>{{"format", "pt"}});
}

TEST_CASE("safetensors writes the layout other readers expect", "[layers][safetensors]") {
  TempDir dir;
  const auto path = dir.path() / "t.safetensors";
  save_safetensors(path, {{"w", Tensor::from_vector<float>({1.0f, -2.0f}, {2})}});
  const std::string file = read_text(path);
  std::uint64_t length = 0;
  std::memcpy(&length, file.data(), 8);
  REQUIRE(length % 8 == 0);  // the data starts 8-byte aligned
  REQUIRE(file.size() == 8 + length + 8);
  const std::string header = file.substr(8, length);
  REQUIRE_THAT(header, Catch::StartsWith(R"({"w":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}})"));
  float values[2];
  std::memcpy(values, file.data() + 8 + length, 8);
  REQUIRE(values[0] == 1.0f);
  REQUIRE(values[1] == -2.0f);
}

TEST_CASE("safetensors keeps a model's parameter names and values", "[layers][safetensors]") {
  TempDir dir;
  SampleConvNet trained(3), fresh(4);
  save_safetensors(dir.path() / "m.safetensors", trained.state_dict());
  const StateDict loaded = load_safetensors(dir.path() / "m.safetensors");
  REQUIRE(loaded.count("conv1.weight") == 1);
  REQUIRE(loaded.at("conv1.weight").shape() == Shape{16, 1, 8, 8});
  fresh.load_state_dict(loaded);
  const Tensor x = Tensor::uniform({2, 1, 28, 28}, 0, 1, 5);
  REQUIRE(max_abs_diff(fresh(x), trained(x)) == 0.0);
}

TEST_CASE("safetensors refuses malformed files, naming the file and the problem", "[layers][safetensors]") {
  TempDir dir;
  const auto path = dir.path() / "bad.safetensors";
  const std::string f32x2 = std::string(8, '\0');
  const auto refused = [&](const std::string& bytes) {
    write_bytes(path, bytes);
    return error_message([&] { load_safetensors(path); });
  };
  const std::string ok_entry = R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  REQUIRE_THAT(refused("abc"), Catch::Contains("bad.safetensors") && Catch::Contains("truncated"));
  REQUIRE_THAT(refused(file_of("{" + ok_entry + "}", f32x2).substr(0, 20)), Catch::Contains("header"));
  REQUIRE_THAT(refused(file_of("{not json", "")), Catch::Contains("not a JSON object"));
  REQUIRE_THAT(refused(file_of("[1]", "")), Catch::Contains("not a JSON object"));
  REQUIRE_THAT(refused(file_of(R"({"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", "1234")),
               Catch::Contains("BF16"));
  REQUIRE_THAT(refused(file_of(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", f32x2)),
               Catch::Contains("need 12"));
  REQUIRE_THAT(refused(file_of(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", f32x2)),
               Catch::Contains("not a non-negative integer"));
  REQUIRE_THAT(refused(file_of(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", f32x2)),
               Catch::Contains("outside"));
  REQUIRE_THAT(refused(file_of(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", f32x2 + f32x2)),
               Catch::Contains("hole"));
  REQUIRE_THAT(refused(file_of("{" + ok_entry + "}", f32x2 + "xx")), Catch::Contains("2 data bytes"));
  REQUIRE_THAT(refused(file_of(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                               f32x2)),
               Catch::Contains("too large"));
  // No bytes, but its strides would still overflow.
  REQUIRE_THAT(refused(file_of(R"({"w":{"dtype":"U8","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}})", "")),
               Catch::Contains("too large"));
  REQUIRE_THAT(refused(file_of(R"({"w":{"dtype":"F32"}})", "")), Catch::Contains("without dtype, shape"));
  // Nested a million deep, and shown without recursing through it.
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  REQUIRE_THAT(refused(file_of(R"({"w":{"dtype":)" + deep + R"(,"shape":[2],"data_offsets":[0,8]}})", f32x2)),
               Catch::Contains("the dtype a JSON array"));
  REQUIRE_THAT(refused(file_of(R"({"w":{"dtype":"F32","shape":[)" + deep + R"(],"data_offsets":[0,8]}})", f32x2)),
               Catch::Contains("a JSON array, not a non-negative integer"));
  REQUIRE_THAT(error_message([&] { load_safetensors(dir.path() / "missing.safetensors"); }),
               Catch::Contains("missing.safetensors") && Catch::Contains("cannot be opened"));
}
