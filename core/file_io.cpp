#include "veil/core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "veil/core/error.h"

namespace veil {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::generic_category().message(errno); }

// Closes the descriptor when it goes out of scope.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // close() reports errors (NFS, quota) that write() did not.
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

void write_all(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error("writing " + name + " failed: " + errno_text());
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string parent_of(const fs::path& path) {
  const fs::path parent = path.parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

std::string non_regular_kind(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status) || fs::is_regular_file(status)) return "";
  if (fs::is_directory(status)) return "a directory";
  if (fs::is_fifo(status)) return "a named pipe";
  if (fs::is_socket(status)) return "a socket";
  if (fs::is_character_file(status)) return "a character device";
  if (fs::is_block_file(status)) return "a block device";
  return "not a regular file";
}

std::string output_problem(const fs::path& path) {
  if (path.empty()) return "the path is empty";
  const std::string kind = non_regular_kind(path);
  if (!kind.empty() && kind != "a character device") return "it is " + kind + ", not a file";
  std::error_code ec;
  const std::string parent = parent_of(path);
  if (!fs::exists(parent, ec)) return "the directory " + parent + " does not exist";
  if (!fs::is_directory(parent, ec)) return parent + " is not a directory";
  if (::access(parent.c_str(), W_OK) != 0) return "the directory " + parent + " is not writable";
  return "";
}

std::string read_regular_file(const fs::path& path, const std::string& what) {
  const std::string name = what + " " + path.string();
  const std::string kind = non_regular_kind(path);
  if (!kind.empty()) throw Error(name + " is " + kind + ", not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) throw Error(name + " cannot be opened (missing or unreadable)");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(name + " could not be read");
  return bytes;
}

void write_file_atomically(const fs::path& path, std::string_view bytes, const std::string& what) {
  const std::string name = what + " " + path.string();
  const std::string problem = output_problem(path);
  if (!problem.empty()) throw Error("cannot write " + name + ": " + problem);
  if (non_regular_kind(path) == "a character device") {
    Descriptor out(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (out.get() < 0) throw Error("cannot open " + name + ": " + errno_text());
    write_all(out.get(), bytes, name);
    if (out.close() != 0) throw Error("writing " + name + " failed: " + errno_text());
    return;
  }
  const std::string tmp = path.string() + ".tmp";
  // A leftover temporary file of an earlier crash is replaced; anything else
  // by that name is not ours to remove.
  const std::string tmp_kind = non_regular_kind(tmp);
  if (!tmp_kind.empty()) throw Error("cannot write " + name + ": " + tmp + " is " + tmp_kind);
  ::unlink(tmp.c_str());
  {
    Descriptor out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (out.get() < 0) throw Error("cannot create " + tmp + " for " + name + ": " + errno_text());
    try {
      write_all(out.get(), bytes, tmp);
      if (::fsync(out.get()) != 0) throw Error("writing " + tmp + " failed: " + errno_text());
      if (out.close() != 0) throw Error("writing " + tmp + " failed: " + errno_text());
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = errno_text();
    ::unlink(tmp.c_str());
    throw Error("cannot move " + tmp + " to " + path.string() + ": " + reason);
  }
  // The rename is durable only once the directory entry is on disk.
  Descriptor directory(::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() < 0 || ::fsync(directory.get()) != 0)
    throw Error("cannot sync the directory of " + name + ": " + errno_text());
}

}  // namespace veil
