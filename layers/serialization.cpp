#include "veil/layers/serialization.h"

#include <zlib.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <string_view>

#include "veil/core/error.h"
#include "veil/core/file_io.h"

namespace veil {

namespace {

constexpr char kMagic[8] = {'V', 'E', 'I', 'L', 'C', 'K', 'P', 'T'};
constexpr std::uint32_t kVersion = 2;
constexpr std::size_t kHeaderSize = sizeof(kMagic) + sizeof(std::uint32_t) + sizeof(std::uint64_t);
constexpr std::size_t kTrailerSize = sizeof(std::uint32_t);

std::uint32_t checksum(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<z_size_t>(bytes.size())));
}

// Errors about the user's file: one plain sentence naming it.
[[noreturn]] void refuse(const std::filesystem::path& path, const std::string& problem) {
  throw Error("checkpoint " + path.string() + " " + problem);
}

class Writer {
 public:
  template <typename T>
  void pod(const T& value) { bytes(&value, sizeof(T)); }
  void bytes(const void* data, std::size_t n) { out_.append(static_cast<const char*>(data), n); }
  void text(const std::string& s) {
    pod(static_cast<std::uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
  std::string& buffer() { return out_; }

 private:
  std::string out_;
};

// Reads the body of a file whose size and checksum were already verified, so
// running out of bytes here means a malformed file, not a truncated one.
class Reader {
 public:
  Reader(std::string_view body, const std::filesystem::path& path) : body_(body), path_(path) {}
  std::size_t remaining() const { return body_.size() - at_; }
  void bytes(void* data, std::size_t n) {
    if (n > remaining()) refuse(path_, "is malformed: a record runs past the end of the data");
    std::memcpy(data, body_.data() + at_, n);
    at_ += n;
  }
  template <typename T>
  T pod() {
    T value;
    bytes(&value, sizeof(T));
    return value;
  }
  std::string text() {
    const auto n = pod<std::uint32_t>();
    if (n > remaining()) refuse(path_, "is malformed: a string runs past the end of the data");
    std::string s(n, '\0');
    bytes(s.data(), n);
    return s;
  }
  bool at_end() const { return at_ == body_.size(); }

 private:
  std::string_view body_;
  std::size_t at_ = 0;
  const std::filesystem::path& path_;
};

// Magic, version, size and checksum; returns the body between header and
// trailer.
std::string_view verified_body(std::string_view file, const std::filesystem::path& path) {
  if (file.empty()) refuse(path, "is empty");
  // A short prefix of the magic is a truncated checkpoint, not a foreign file.
  if (std::memcmp(file.data(), kMagic, std::min(file.size(), sizeof(kMagic))) != 0)
    refuse(path, "is not a veil checkpoint");
  if (file.size() < kHeaderSize) refuse(path, "is truncated (" + std::to_string(file.size()) + " bytes)");
  std::uint32_t version;
  std::uint64_t declared;
  std::memcpy(&version, file.data() + sizeof(kMagic), sizeof(version));
  std::memcpy(&declared, file.data() + sizeof(kMagic) + sizeof(version), sizeof(declared));
  if (version != kVersion)
    refuse(path, "has format version " + std::to_string(version) + "; this build reads only version " +
                     std::to_string(kVersion) + (version < kVersion ? " (older files carry no checksum)" : ""));
  if (file.size() < declared)
    refuse(path, "is truncated (" + std::to_string(file.size()) + " of " + std::to_string(declared) + " bytes)");
  if (file.size() > declared || declared < kHeaderSize + kTrailerSize)
    refuse(path, "is corrupted (" + std::to_string(file.size()) + " bytes where its header says " +
                     std::to_string(declared) + ")");
  std::uint32_t stored;
  std::memcpy(&stored, file.data() + file.size() - kTrailerSize, sizeof(stored));
  if (checksum(file.substr(0, file.size() - kTrailerSize)) != stored)
    refuse(path, "is corrupted (its CRC-32 checksum does not match its contents)");
  return file.substr(kHeaderSize, file.size() - kHeaderSize - kTrailerSize);
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint) {
  Writer w;
  w.bytes(kMagic, sizeof(kMagic));
  w.pod(kVersion);
  w.pod(std::uint64_t{0});  // the file size, filled in below
  w.pod(static_cast<std::uint32_t>(checkpoint.fields.size()));
  for (const auto& [key, value] : checkpoint.fields) {
    w.text(key);
    w.text(value);
  }
  w.pod(static_cast<std::uint32_t>(checkpoint.tensors.size()));
  for (const auto& [name, tensor] : checkpoint.tensors) {
    const Tensor t = tensor.to(Device::cpu()).contiguous();
    w.text(name);
    w.pod(static_cast<std::uint8_t>(t.dtype()));
    w.pod(static_cast<std::uint32_t>(t.dim()));
    for (auto d : t.shape()) w.pod(static_cast<std::int64_t>(d));
    w.bytes(t.raw_data(), t.numel() * dtype_size(t.dtype()));
  }
  std::string& bytes = w.buffer();
  const std::uint64_t size = bytes.size() + kTrailerSize;
  std::memcpy(bytes.data() + sizeof(kMagic) + sizeof(kVersion), &size, sizeof(size));
  w.pod(checksum(bytes));

  write_file_atomically(path, bytes, "checkpoint");
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  const std::string file = read_regular_file(path, "checkpoint");
  Reader r(verified_body(file, path), path);
  Checkpoint checkpoint;
  const auto fields = r.pod<std::uint32_t>();
  for (std::uint32_t i = 0; i < fields; ++i) {
    std::string key = r.text();
    checkpoint.fields[key] = r.text();
  }
  const auto tensors = r.pod<std::uint32_t>();
  for (std::uint32_t i = 0; i < tensors; ++i) {
    std::string name = r.text();
    const auto dtype = r.pod<std::uint8_t>();
    if (dtype > static_cast<std::uint8_t>(DType::UInt8)) refuse(path, "is malformed: bad dtype for " + name);
    const auto rank = r.pod<std::uint32_t>();
    if (rank > 16) refuse(path, "is malformed: bad rank " + std::to_string(rank) + " for " + name);
    Shape shape(rank);
    // Sized against the bytes left before allocating, so a bad header cannot
    // ask for an absurd allocation. The product of the nonzero dimensions
    // must fit too: [2^32, 2^32, 0] is no tensor.
    std::int64_t numel = 1, nonzero = 1;
    for (auto& d : shape) {
      d = r.pod<std::int64_t>();
      if (d < 0) refuse(path, "is malformed: negative dimension for " + name);
      if (d > 0 && __builtin_mul_overflow(nonzero, d, &nonzero))
        refuse(path, "is malformed: tensor " + name + " has dimensions whose product overflows");
      numel *= d;  // 0 or equal to nonzero, so in range
    }
    if (static_cast<std::uint64_t>(numel) > r.remaining() / dtype_size(static_cast<DType>(dtype)))
      refuse(path, "is malformed: tensor " + name + " is larger than the file");
    Tensor t = Tensor::empty(shape, static_cast<DType>(dtype));
    r.bytes(t.raw_data(), t.numel() * dtype_size(t.dtype()));
    checkpoint.tensors[name] = t;
  }
  if (!r.at_end()) refuse(path, "is malformed: bytes follow the last tensor");
  return checkpoint;
}

}  // namespace veil
