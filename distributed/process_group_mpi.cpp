#include "veil/distributed/process_group_mpi.h"

#include <mpi.h>

#include <cmath>
#include <limits>

#include "veil/core/error.h"
#include "veil/core/poll_backoff.h"

namespace veil::distributed {

struct MpiProcessGroup::Comm {
  MPI_Comm world = MPI_COMM_NULL;
  std::vector<MPI_Request> requests;
};

namespace {

MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return MPI_FLOAT;
    case DType::Float64: return MPI_DOUBLE;
    case DType::Int64: return MPI_INT64_T;
    case DType::UInt8: return MPI_UINT8_T;
  }
  VEIL_FAIL() << "unknown dtype";
  return MPI_DATATYPE_NULL;
}

}  // namespace

MpiProcessGroup::MpiProcessGroup(const MpiOptions& options) : comm_(std::make_unique<Comm>()) {
  set_timeout(options.timeout_seconds);
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    // Only the thread that created the group calls MPI (veil's worker threads never do).
    int provided = 0;
    VEIL_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS)
        << "MPI_Init_thread failed";
    owns_mpi_ = true;
  }
  // A private communicator: errors come back as codes, and no other library's
  // traffic on MPI_COMM_WORLD can match ours.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_->world), "MPI_Comm_dup");
  check(MPI_Comm_rank(comm_->world, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(comm_->world, &size_), "MPI_Comm_size");
  MPI_Comm local = MPI_COMM_NULL;
  check(MPI_Comm_split_type(comm_->world, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local), "MPI_Comm_split_type");
  check(MPI_Comm_rank(local, &local_rank_), "MPI_Comm_rank (node)");
  check(MPI_Comm_size(local, &local_size_), "MPI_Comm_size (node)");
  MPI_Comm_free(&local);
}

MpiProcessGroup::~MpiProcessGroup() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (finalised) return;
  // After a timeout a request is still pending and MPI_Finalize could wait
  // for it for ever; the process is ending with an error anyway.
  if (broken_) return;
  if (comm_->world != MPI_COMM_NULL) MPI_Comm_free(&comm_->world);
  if (owns_mpi_) MPI_Finalize();
}

void MpiProcessGroup::set_timeout(double seconds) {
  VEIL_CHECK(seconds > 0 && std::isfinite(seconds)) << "the collective timeout must be positive, got " << seconds << " s";
  options_.timeout_seconds = seconds;
}

void MpiProcessGroup::check(int status, const char* operation) {
  if (status == MPI_SUCCESS) return;
  broken_ = true;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw Error("rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ": MPI " + operation +
              " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

void MpiProcessGroup::check_usable(const char* operation) const {
  if (broken_)
    throw Error(rank_label(*this) + ": " + operation + " on a process group whose earlier collective failed");
}

void MpiProcessGroup::wait_all(const char* operation) {
  std::vector<MPI_Request>& requests = comm_->requests;
  for (PollBackoff backoff;; backoff.pause()) {
    int done = 0;
    check(MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done, MPI_STATUSES_IGNORE), operation);
    if (done) break;
    if (backoff.waited_seconds() > options_.timeout_seconds) {
      broken_ = true;
      throw Error(rank_label(*this) + ": " + operation + " timed out after " + std::to_string(options_.timeout_seconds) +
                  " s waiting for the other ranks (one of them failed or is stuck)");
    }
  }
  requests.clear();
}

namespace {

int element_count(const Tensor& t, const std::string& where) {
  VEIL_CHECK(t.defined()) << where << " got an undefined tensor";
  VEIL_CHECK(t.device().is_cpu()) << where << " takes CPU tensors (the MPI backend), got one on " << t.device();
  VEIL_CHECK(t.is_contiguous()) << where << " takes contiguous tensors";
  VEIL_CHECK(t.numel() <= std::numeric_limits<int>::max()) << where << ": a tensor of " << t.numel()
                                                           << " elements is more than one MPI call sends";
  return static_cast<int>(t.numel());
}

}  // namespace

void MpiProcessGroup::all_reduce_sum_(const std::vector<Tensor>& tensors) {
  const char* op = "all_reduce_sum_";
  check_usable(op);
  // One request per tensor, all in flight together.
  for (const Tensor& t : tensors) {
    const int count = element_count(t, rank_label(*this) + ": " + op);
    VEIL_CHECK(t.dtype() != DType::UInt8) << rank_label(*this) << ": " << op << " does not sum uint8 tensors";
    comm_->requests.emplace_back();
    check(MPI_Iallreduce(MPI_IN_PLACE, t.raw_data(), count, mpi_type(t.dtype()), MPI_SUM, comm_->world,
                         &comm_->requests.back()),
          op);
  }
  wait_all(op);
}

void MpiProcessGroup::broadcast_(const std::vector<Tensor>& tensors, int root) {
  const char* op = "broadcast_";
  check_usable(op);
  VEIL_CHECK(root >= 0 && root < size_) << rank_label(*this) << ": broadcast_ from root " << root
                                        << ", not a rank of the group";
  for (const Tensor& t : tensors) {
    const int count = element_count(t, rank_label(*this) + ": " + op);
    comm_->requests.emplace_back();
    check(MPI_Ibcast(t.raw_data(), count, mpi_type(t.dtype()), root, comm_->world, &comm_->requests.back()), op);
  }
  wait_all(op);
}

void MpiProcessGroup::barrier() {
  const char* op = "barrier";
  check_usable(op);
  comm_->requests.emplace_back();
  check(MPI_Ibarrier(comm_->world, &comm_->requests.back()), op);
  wait_all(op);
}

std::vector<std::byte> MpiProcessGroup::all_gather_bytes(const void* data, std::size_t bytes) {
  const char* op = "all_gather";
  check_usable(op);
  VEIL_CHECK(bytes <= 1 << 20) << rank_label(*this) << ": all_gather is for small values, got " << bytes << " bytes";
  std::vector<std::byte> out(bytes * static_cast<std::size_t>(size_));
  comm_->requests.emplace_back();
  check(MPI_Iallgather(data, static_cast<int>(bytes), MPI_BYTE, out.data(), static_cast<int>(bytes), MPI_BYTE,
                       comm_->world, &comm_->requests.back()),
        op);
  wait_all(op);
  return out;
}

}  // namespace veil::distributed
