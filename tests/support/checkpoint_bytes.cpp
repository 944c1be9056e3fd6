#include "support/checkpoint_bytes.h"

#include <zlib.h>

#include <cstring>

namespace veil::testing {

namespace {

constexpr std::size_t kSizeOffset = 8 + 4;

template <typename T>
void append(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

std::string sealed(std::string bytes) {
  const std::uint64_t size = bytes.size() + sizeof(std::uint32_t);
  std::memcpy(bytes.data() + kSizeOffset, &size, sizeof(size));
  const auto crc = static_cast<std::uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<z_size_t>(bytes.size())));
  append(bytes, crc);
  return bytes;
}

}  // namespace

CheckpointBytes::CheckpointBytes() {
  bytes_ = "VEILCKPT";
  append(bytes_, std::uint32_t{2});
  append(bytes_, std::uint64_t{0});
}

CheckpointBytes& CheckpointBytes::u8(std::uint8_t value) {
  append(bytes_, value);
  return *this;
}

CheckpointBytes& CheckpointBytes::u32(std::uint32_t value) {
  append(bytes_, value);
  return *this;
}

CheckpointBytes& CheckpointBytes::i64(std::int64_t value) {
  append(bytes_, value);
  return *this;
}

CheckpointBytes& CheckpointBytes::text(const std::string& s) {
  u32(static_cast<std::uint32_t>(s.size()));
  return raw(s);
}

CheckpointBytes& CheckpointBytes::raw(const std::string& bytes) {
  bytes_ += bytes;
  return *this;
}

std::string CheckpointBytes::seal() const { return sealed(bytes_); }

std::string reseal(std::string file) {
  file.resize(file.size() - sizeof(std::uint32_t));
  return sealed(std::move(file));
}

}  // namespace veil::testing
