#include "veil/layers/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "veil/core/error.h"
#include "veil/core/file_io.h"

namespace veil {

namespace {

using nlohmann::json;

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

constexpr std::size_t kLengthBytes = 8;
// The format's own readers refuse headers over 100 MB.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

const char* dtype_code(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
    case DType::UInt8: return "U8";
  }
  return "";
}

[[noreturn]] void refuse(const std::filesystem::path& path, const std::string& problem) {
  throw Error("safetensors file " + path.string() + " " + problem);
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  std::uint64_t begin, end;
};

struct Parsed {
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
  std::string_view data;
};

// A JSON value for a message: a scalar as written, an array or object by its
// kind alone (dump() recurses, and a hostile header can nest 10^7 deep).
std::string shown(const json& value) {
  return value.is_structured() ? std::string("a JSON ") + value.type_name() : value.dump();
}

DType parse_dtype(const json& value, const std::string& name, const std::filesystem::path& path) {
  if (value.is_string())
    for (DType dtype : {DType::Float32, DType::Float64, DType::Int64, DType::UInt8})
      if (value.get<std::string>() == dtype_code(dtype)) return dtype;
  refuse(path, "gives tensor '" + name + "' the dtype " + shown(value) + "; veil reads F32, F64, I64 and U8");
}

std::uint64_t parse_count(const json& value, const std::string& what, const std::filesystem::path& path) {
  if (!value.is_number_unsigned()) refuse(path, "has " + what + " " + shown(value) + ", not a non-negative integer");
  return value.get<std::uint64_t>();
}

Parsed parse(const std::string& file, const std::filesystem::path& path) {
  if (file.size() < kLengthBytes) refuse(path, "is truncated (" + std::to_string(file.size()) + " bytes)");
  std::uint64_t header_bytes;
  std::memcpy(&header_bytes, file.data(), kLengthBytes);
  if (header_bytes > kMaxHeaderBytes || header_bytes > file.size() - kLengthBytes)
    refuse(path, "announces a " + std::to_string(header_bytes) + "-byte header but holds " +
                     std::to_string(file.size() - kLengthBytes) + " bytes after the length");
  const std::string_view header(file.data() + kLengthBytes, header_bytes);
  const json root = json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) refuse(path, "has a header that is not a JSON object");

  Parsed parsed;
  parsed.data = std::string_view(file).substr(kLengthBytes + header_bytes);
  for (const auto& [name, value] : root.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) refuse(path, "has __metadata__ that is not an object");
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) refuse(path, "has __metadata__ entry '" + key + "' that is not a string");
        parsed.metadata[key] = text.get<std::string>();
      }
      continue;
    }
    if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets"))
      refuse(path, "has an entry '" + name + "' without dtype, shape and data_offsets");
    Entry entry{name, parse_dtype(value["dtype"], name, path), {}, 0, 0};
    const json& shape = value["shape"];
    const json& offsets = value["data_offsets"];
    if (!shape.is_array()) refuse(path, "gives tensor '" + name + "' a shape that is not a list");
    if (!offsets.is_array() || offsets.size() != 2)
      refuse(path, "gives tensor '" + name + "' data_offsets that are not [begin, end]");
    // The bytes of the nonzero dimensions must fit a tensor's sizes and
    // strides even when another dimension is 0: [0, 2^32, 2^32] is no tensor.
    std::int64_t nonzero_bytes = static_cast<std::int64_t>(dtype_size(entry.dtype));
    bool empty = false;
    for (const json& dim : shape) {
      const std::uint64_t d = parse_count(dim, "a dimension of '" + name + "'", path);
      if (d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
          (d != 0 && __builtin_mul_overflow(nonzero_bytes, static_cast<std::int64_t>(d), &nonzero_bytes)))
        refuse(path, "gives tensor '" + name + "' a shape too large to hold");
      empty = empty || d == 0;
      entry.shape.push_back(static_cast<std::int64_t>(d));
    }
    const std::uint64_t bytes = empty ? 0 : static_cast<std::uint64_t>(nonzero_bytes);
    entry.begin = parse_count(offsets[0], "an offset of '" + name + "'", path);
    entry.end = parse_count(offsets[1], "an offset of '" + name + "'", path);
    if (entry.begin > entry.end || entry.end > parsed.data.size())
      refuse(path, "gives tensor '" + name + "' offsets [" + std::to_string(entry.begin) + ", " +
                       std::to_string(entry.end) + "] outside its " + std::to_string(parsed.data.size()) +
                       " data bytes");
    if (entry.end - entry.begin != bytes)
      refuse(path, "gives tensor '" + name + "' " + std::to_string(entry.end - entry.begin) + " bytes, but its dtype " +
                       "and shape need " + std::to_string(bytes));
    parsed.entries.push_back(std::move(entry));
  }
  // The entries must tile the data: sorted by offset, each starts where the last ended.
  std::vector<const Entry*> by_offset;
  for (const Entry& e : parsed.entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* a, const Entry* b) { return a->begin != b->begin ? a->begin < b->begin : a->end < b->end; });
  std::uint64_t covered = 0;
  for (const Entry* e : by_offset) {
    if (e->begin != covered) refuse(path, "has data with a hole or an overlap at byte " + std::to_string(covered));
    covered = e->end;
  }
  if (covered != parsed.data.size())
    refuse(path, "has " + std::to_string(parsed.data.size() - covered) + " data bytes that no tensor uses");
  return parsed;
}

}  // namespace

void save_safetensors(const std::filesystem::path& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string data;
  for (const auto& [name, tensor] : tensors) {
    VEIL_CHECK(name != "__metadata__") << "safetensors: '__metadata__' is reserved and cannot name a tensor";
    const Tensor host = tensor.detach().to(Device::cpu()).contiguous();
    const std::size_t bytes = static_cast<std::size_t>(host.numel()) * dtype_size(host.dtype());
    header[name] = {{"dtype", dtype_code(host.dtype())},
                    {"shape", host.shape()},
                    {"data_offsets", {data.size(), data.size() + bytes}}};
    data.append(static_cast<const char*>(host.raw_data()), bytes);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  const std::uint64_t length = text.size();
  std::string file(kLengthBytes, '\0');
  std::memcpy(file.data(), &length, kLengthBytes);
  file += text;
  file += data;
  write_file_atomically(path, file, "safetensors file");
}

StateDict load_safetensors(const std::filesystem::path& path) {
  const std::string file = read_regular_file(path, "safetensors file");
  const Parsed parsed = parse(file, path);
  StateDict state;
  for (const Entry& entry : parsed.entries) {
    Tensor t = Tensor::empty(entry.shape, entry.dtype);
    std::memcpy(t.raw_data(), parsed.data.data() + entry.begin, entry.end - entry.begin);
    state[entry.name] = t;
  }
  return state;
}

std::map<std::string, std::string> load_safetensors_metadata(const std::filesystem::path& path) {
  return parse(read_regular_file(path, "safetensors file"), path).metadata;
}

}  // namespace veil
