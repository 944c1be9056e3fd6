#include "veil/layers/serialization.h"

#include <cstdint>
#include <cstring>
#include <fstream>

#include "veil/core/error.h"

namespace veil {

namespace {

constexpr char kMagic[8] = {'V', 'E', 'I', 'L', 'C', 'K', 'P', 'T'};
constexpr std::uint32_t kVersion = 1;

class Writer {
 public:
  explicit Writer(std::ofstream& out) : out_(out) {}
  template <typename T>
  void pod(const T& value) { out_.write(reinterpret_cast<const char*>(&value), sizeof(T)); }
  void bytes(const void* data, std::size_t n) { out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n)); }
  void text(const std::string& s) {
    pod(static_cast<std::uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }

 private:
  std::ofstream& out_;
};

class Reader {
 public:
  Reader(std::ifstream& in, const std::filesystem::path& path) : in_(in), path_(path) {}
  void bytes(void* data, std::size_t n) {
    in_.read(static_cast<char*>(data), static_cast<std::streamsize>(n));
    VEIL_CHECK(static_cast<std::size_t>(in_.gcount()) == n) << "checkpoint " << path_ << " is truncated";
  }
  template <typename T>
  T pod() {
    T value;
    bytes(&value, sizeof(T));
    return value;
  }
  std::string text() {
    const auto n = pod<std::uint32_t>();
    VEIL_CHECK(n < (1u << 30)) << "checkpoint " << path_ << " is malformed (string of " << n << " bytes)";
    std::string s(n, '\0');
    bytes(s.data(), n);
    return s;
  }

 private:
  std::ifstream& in_;
  const std::filesystem::path& path_;
};

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    VEIL_CHECK(out.good()) << "cannot write checkpoint " << tmp;
    Writer w(out);
    w.bytes(kMagic, sizeof(kMagic));
    w.pod(kVersion);
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
    out.flush();
    VEIL_CHECK(out.good()) << "writing checkpoint " << tmp << " failed (disk full?)";
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  VEIL_CHECK(!ec) << "cannot move checkpoint " << tmp << " to " << path << ": " << ec.message();
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  VEIL_CHECK(in.good()) << "cannot open checkpoint " << path;
  Reader r(in, path);
  char magic[8];
  r.bytes(magic, sizeof(magic));
  VEIL_CHECK(std::memcmp(magic, kMagic, sizeof(kMagic)) == 0) << path << " is not a veil checkpoint";
  const auto version = r.pod<std::uint32_t>();
  VEIL_CHECK(version == kVersion) << "checkpoint " << path << " has version " << version << ", expected " << kVersion;
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
    VEIL_CHECK(dtype <= static_cast<std::uint8_t>(DType::UInt8)) << "checkpoint " << path << ": bad dtype for " << name;
    const auto rank = r.pod<std::uint32_t>();
    VEIL_CHECK(rank <= 16) << "checkpoint " << path << ": bad rank " << rank << " for " << name;
    Shape shape(rank);
    for (auto& d : shape) {
      d = r.pod<std::int64_t>();
      VEIL_CHECK(d >= 0 && d < (std::int64_t{1} << 40)) << "checkpoint " << path << ": bad dimension for " << name;
    }
    Tensor t = Tensor::empty(shape, static_cast<DType>(dtype));
    r.bytes(t.raw_data(), t.numel() * dtype_size(t.dtype()));
    checkpoint.tensors[name] = t;
  }
  return checkpoint;
}

}  // namespace veil
