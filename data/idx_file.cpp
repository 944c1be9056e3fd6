#include "veil/data/idx_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <iomanip>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>

#include "veil/core/error.h"
#include "veil/core/file_io.h"

namespace veil::data {
namespace {

namespace fs = std::filesystem;

constexpr std::uint8_t kUint8Type = 0x08;
// Payloads are read in chunks this large: big enough that the per-call cost
// vanishes. Reading chunk by chunk makes a gzip payload's memory grow with the
// data actually there, not with what a corrupt header claims.
constexpr std::size_t kChunkBytes = std::size_t{16} << 20;
constexpr int kGzipBufferBytes = 1 << 20;

// Where the bytes of an IDX file come from: the file itself or its gzip
// stream. read() returns fewer bytes than asked only at the end of the data;
// I/O and decompression errors throw.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::size_t read(std::uint8_t* dst, std::size_t n) = 0;
  // Bytes not yet read, when known without reading them.
  virtual std::optional<std::uint64_t> bytes_left() const = 0;
};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string errno_message() { return std::generic_category().message(errno); }

File open_file(const fs::path& path) {
  // Note [Only regular files]: fopen on a named pipe would block forever.
  const std::string kind = non_regular_kind(path);
  VEIL_CHECK(kind.empty()) << path << ": is " << kind << ", expected an IDX file";
  errno = 0;
  File file(std::fopen(path.c_str(), "rb"));
  VEIL_CHECK(file) << path << ": cannot open: " << errno_message();
  return file;
}

class PlainSource final : public ByteSource {
 public:
  PlainSource(const fs::path& path, File file) : path_(path), file_(std::move(file)) {
    std::error_code error;
    size_ = fs::file_size(path, error);
    VEIL_CHECK(!error) << path << ": cannot get its size: " << error.message();
  }

  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    std::size_t got = std::fread(dst, 1, n, file_.get());
    VEIL_CHECK(got == n || !std::ferror(file_.get()))
        << path_ << ": read error: " << errno_message();
    position_ += got;
    return got;
  }

  std::optional<std::uint64_t> bytes_left() const override {
    return size_ > position_ ? size_ - position_ : 0;
  }

 private:
  fs::path path_;
  File file_;
  std::uint64_t size_ = 0;
  std::uint64_t position_ = 0;
};

class GzipSource final : public ByteSource {
 public:
  explicit GzipSource(const fs::path& path) : path_(path) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    VEIL_CHECK(file_ != nullptr) << path << ": cannot open gzip file: "
                                 << (errno ? errno_message() : "out of memory");
    // The default 8 KiB buffer makes zlib read the file in many small calls.
    gzbuffer(file_, kGzipBufferBytes);
  }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;
  ~GzipSource() override { gzclose_r(file_); }

  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    VEIL_ASSERT(n <= INT_MAX) << "gzread takes at most INT_MAX bytes, asked for " << n;
    int got = gzread(file_, dst, static_cast<unsigned>(n));
    if (got < 0 || static_cast<std::size_t>(got) < n) {
      // A short read is the normal end of the data unless zlib recorded an
      // error: a damaged stream, a bad checksum or a cut-off file.
      int status = Z_OK;
      const char* message = gzerror(file_, &status);
      VEIL_CHECK(status == Z_OK) << path_
                                 << (status == Z_ERRNO
                                         ? ": read error: " + errno_message()
                                         : ": corrupt gzip stream: " + without_path(message));
      VEIL_CHECK(got >= 0) << path_ << ": gzread failed without an error status";
    }
    return static_cast<std::size_t>(got);
  }

  std::optional<std::uint64_t> bytes_left() const override { return std::nullopt; }

 private:
  // zlib prefixes its messages with the path, which our message already names.
  std::string without_path(const char* message) const {
    std::string text = message;
    std::string prefix = path_.string() + ": ";
    return text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text;
  }

  fs::path path_;
  gzFile file_ = nullptr;
};

std::unique_ptr<ByteSource> open_source(const fs::path& path) {
  File file = open_file(path);
  unsigned char magic[2] = {0, 0};
  bool gzip = std::fread(magic, 1, 2, file.get()) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (gzip) return std::make_unique<GzipSource>(path);
  std::rewind(file.get());
  return std::make_unique<PlainSource>(path, std::move(file));
}

std::uint32_t big_endian_u32(const std::uint8_t* bytes) {
  return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
         std::uint32_t{bytes[2]} << 8 | std::uint32_t{bytes[3]};
}

std::string hex(std::uint32_t value, int digits) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(digits) << std::setfill('0') << value;
  return out.str();
}

std::string format_dims(const std::vector<std::size_t>& dims) {
  std::ostringstream out;
  out << '[';
  for (std::size_t i = 0; i < dims.size(); ++i) out << (i ? ", " : "") << dims[i];
  out << ']';
  return out.str();
}

const char* element_type_name(std::uint8_t type) {
  switch (type) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "short";
    case 0x0C:
      return "int";
    case 0x0D:
      return "float";
    case 0x0E:
      return "double";
    default:
      return "not an IDX type";
  }
}

void read_header_bytes(ByteSource& source, const fs::path& path, std::uint8_t* dst, std::size_t n,
                       const char* what) {
  std::size_t got = source.read(dst, n);
  VEIL_CHECK(got == n) << path << ": truncated header: the " << what << " needs " << n
                       << " bytes, only " << got << " present";
}

std::vector<std::size_t> read_dims(ByteSource& source, const fs::path& path,
                                   std::size_t expected_dims) {
  std::uint8_t magic[4];
  read_header_bytes(source, path, magic, sizeof magic, "magic number");
  std::uint32_t magic_value = big_endian_u32(magic);
  std::uint32_t expected_magic =
      std::uint32_t{kUint8Type} << 8 | static_cast<std::uint32_t>(expected_dims);
  VEIL_CHECK(magic[0] == 0 && magic[1] == 0)
      << path << ": not an IDX file: magic number " << hex(magic_value, 8) << ", expected "
      << hex(expected_magic, 8) << " (" << expected_magic << ")";
  VEIL_CHECK(magic[2] == kUint8Type)
      << path << ": unsupported element type " << hex(magic[2], 2) << " ("
      << element_type_name(magic[2]) << "); only 0x08 (unsigned byte) is supported";
  VEIL_CHECK(magic[3] == expected_dims)
      << path << ": wrong number of dimensions: " << int{magic[3]} << ", expected " << expected_dims
      << " (magic number " << magic_value << ", expected " << expected_magic << ")";

  std::vector<std::uint8_t> raw(4 * expected_dims);
  read_header_bytes(source, path, raw.data(), raw.size(), "dimension list");
  std::vector<std::size_t> dims(expected_dims);
  for (std::size_t i = 0; i < expected_dims; ++i) dims[i] = big_endian_u32(&raw[4 * i]);
  return dims;
}

std::uint64_t payload_bytes(const fs::path& path, const std::vector<std::size_t>& dims) {
  std::uint64_t bytes = 1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    VEIL_CHECK(dims[i] > 0) << path << ": dimension " << i << " is zero in " << format_dims(dims);
    VEIL_CHECK(bytes <= kMaxIdxPayloadBytes / dims[i])
        << path << ": absurd dimensions " << format_dims(dims) << ": more than "
        << kMaxIdxPayloadBytes << " bytes of payload, the header is probably corrupt";
    bytes *= dims[i];
  }
  return bytes;
}

// A plain file's size tells up front whether the payload fits exactly.
void check_payload_size(std::uint64_t left, const fs::path& path, const std::vector<std::size_t>& dims,
                        std::uint64_t bytes) {
  VEIL_CHECK(left >= bytes) << path << ": truncated payload: dimensions " << format_dims(dims) << " imply "
                            << bytes << " bytes, only " << left << " present";
  VEIL_CHECK(left == bytes) << path << ": trailing garbage: " << left - bytes << " bytes after the " << bytes
                            << "-byte payload of dimensions " << format_dims(dims);
}

// Reads `chunk` bytes that the payload must still hold to `dst`, `offset`
// bytes into it.
void read_chunk(ByteSource& source, const fs::path& path, const std::vector<std::size_t>& dims,
                std::uint64_t bytes, std::uint8_t* dst, std::size_t offset, std::size_t chunk) {
  std::size_t got = source.read(dst, chunk);
  VEIL_CHECK(got == chunk) << path << ": truncated payload: dimensions " << format_dims(dims) << " imply " << bytes
                           << " bytes, only " << offset + got << " present";
}

void check_no_trailing_data(ByteSource& source, const fs::path& path, const std::vector<std::size_t>& dims,
                            std::uint64_t bytes) {
  std::uint8_t extra = 0;
  VEIL_CHECK(source.read(&extra, 1) == 0)
      << path << ": trailing garbage: more data after the " << bytes
      << "-byte payload of dimensions " << format_dims(dims);
}

std::vector<std::uint8_t> read_payload(ByteSource& source, const fs::path& path,
                                       const std::vector<std::size_t>& dims, std::uint64_t bytes) {
  std::vector<std::uint8_t> payload;
  // A gzip stream only tells as it is read, chunk by chunk, whether the
  // payload is all there.
  if (std::optional<std::uint64_t> left = source.bytes_left()) {
    check_payload_size(*left, path, dims, bytes);
    payload.reserve(bytes);
  }
  while (payload.size() < bytes) {
    std::size_t offset = payload.size();
    std::size_t chunk =
        static_cast<std::size_t>(std::min<std::uint64_t>(bytes - offset, kChunkBytes));
    payload.resize(offset + chunk);
    read_chunk(source, path, dims, bytes, payload.data() + offset, offset, chunk);
  }
  check_no_trailing_data(source, path, dims, bytes);
  return payload;
}

// Opens the file and reads its header, checking both as read_idx_file says.
std::unique_ptr<ByteSource> open_at_payload(const fs::path& path, std::size_t expected_dims,
                                            std::vector<std::size_t>& dims, std::uint64_t& bytes) {
  VEIL_CHECK(expected_dims > 0 && expected_dims <= 255)
      << path << ": an IDX file has 1 to 255 dimensions, asked for " << expected_dims;
  std::unique_ptr<ByteSource> source = open_source(path);
  dims = read_dims(*source, path, expected_dims);
  bytes = payload_bytes(path, dims);
  return source;
}

std::vector<std::uint8_t> read_payload_or_explain(ByteSource& source, const fs::path& path,
                                                  const std::vector<std::size_t>& dims, std::uint64_t bytes) {
  try {
    return read_payload(source, path, dims, bytes);
  } catch (const std::bad_alloc&) {
    // A small .gz can expand to what its header claims: say which file.
    VEIL_FAIL() << path << ": not enough memory for its " << bytes << " bytes of data";
    throw;  // not reached
  }
}

}  // namespace

IdxFile read_idx_file(const std::filesystem::path& path, std::size_t expected_dims) {
  IdxFile result;
  std::uint64_t bytes = 0;
  std::unique_ptr<ByteSource> source = open_at_payload(path, expected_dims, result.dims, bytes);
  result.payload = read_payload_or_explain(*source, path, result.dims, bytes);
  return result;
}

std::vector<std::size_t> read_idx_file_into(const std::filesystem::path& path, std::size_t expected_dims,
                                            const IdxDestination& destination) {
  std::vector<std::size_t> dims;
  std::uint64_t bytes = 0;
  std::unique_ptr<ByteSource> source = open_at_payload(path, expected_dims, dims, bytes);
  // A gzip stream is checked as it is read: the destination takes the size
  // its header claims (at most kMaxIdxPayloadBytes) on trust, and only the
  // pages written to become resident.
  if (const std::optional<std::uint64_t> left = source->bytes_left()) check_payload_size(*left, path, dims, bytes);
  std::uint8_t* dst = destination(dims, bytes);
  for (std::uint64_t offset = 0; offset < bytes; offset += kChunkBytes) {
    const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(bytes - offset, kChunkBytes));
    read_chunk(*source, path, dims, bytes, dst + offset, static_cast<std::size_t>(offset), chunk);
  }
  check_no_trailing_data(*source, path, dims, bytes);
  return dims;
}

}  // namespace veil::data
