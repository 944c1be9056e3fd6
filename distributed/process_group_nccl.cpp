#include "veil/distributed/process_group_nccl.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <cmath>
#include <cstring>

#include "veil/core/cuda/cuda_check.h"
#include "veil/core/error.h"
#include "veil/distributed/launch.h"
#include "veil/core/poll_backoff.h"

namespace veil::distributed {

namespace {

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return ncclFloat32;
    case DType::Float64: return ncclFloat64;
    case DType::Int64: return ncclInt64;
    case DType::UInt8: return ncclUint8;
  }
  VEIL_FAIL() << "unknown dtype";
  return ncclFloat32;
}

// The one checking helper for NCCL status codes.
void check_nccl(ncclResult_t status, const ProcessGroup& group, const char* operation) {
  if (status == ncclSuccess || status == ncclInProgress) return;
  throw Error(rank_label(group) + ": NCCL " + operation + " failed: " + ncclGetErrorString(status));
}

// RAII owners: the communicator is destroyed (or aborted, when a collective
// failed and may still be running) and the stream freed.
class NcclComm {
 public:
  NcclComm() = default;
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;
  ~NcclComm() {
    if (!comm_) return;
    if (aborted_) return;
    ncclCommDestroy(comm_);
  }
  ncclComm_t* out() { return &comm_; }
  ncclComm_t get() const { return comm_; }
  void abort() {
    if (comm_ && !aborted_) ncclCommAbort(comm_);
    aborted_ = true;
  }

 private:
  ncclComm_t comm_ = nullptr;
  bool aborted_ = false;
};

class CudaStream {
 public:
  CudaStream() { VEIL_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  ~CudaStream() { cudaStreamDestroy(stream_); }
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

std::size_t checked_count(const Tensor& t, int device, const std::string& where) {
  VEIL_CHECK(t.defined()) << where << " got an undefined tensor";
  VEIL_CHECK(t.device() == Device::cuda(device)) << where << " takes tensors on cuda:" << device
                                                 << " (the NCCL backend), got one on " << t.device();
  VEIL_CHECK(t.is_contiguous()) << where << " takes contiguous tensors";
  return static_cast<std::size_t>(t.numel());
}

}  // namespace

struct NcclProcessGroup::Handles {
  CudaStream stream;
  NcclComm comm;  // destroyed before the stream it used
  Tensor token;   // one float on the GPU, for barrier()
};

NcclProcessGroup::NcclProcessGroup(ProcessGroup& bootstrap, double timeout_seconds) : bootstrap_(bootstrap) {
  set_timeout(timeout_seconds);
  int devices = 0;
  VEIL_CUDA_CHECK(cudaGetDeviceCount(&devices));
  VEIL_CHECK(devices > 0) << rank_label(*this) << ": the NCCL process group needs a GPU, and none is visible";
  try {
    device_ = gpu_for_local_rank(bootstrap.local_rank(), bootstrap.local_size(), devices);
  } catch (const Error& error) {
    throw Error(rank_label(*this) + ": " + error.what());
  }
  VEIL_CUDA_CHECK(cudaSetDevice(device_));
  ncclUniqueId id{};
  if (bootstrap.rank() == 0) check_nccl(ncclGetUniqueId(&id), *this, "ncclGetUniqueId");
  const std::vector<std::byte> ids = bootstrap.all_gather_bytes(&id, sizeof(id));
  std::memcpy(&id, ids.data(), sizeof(id));  // rank 0's
  handles_ = std::make_unique<Handles>();
  check_nccl(ncclCommInitRank(handles_->comm.out(), bootstrap.size(), id, bootstrap.rank()), *this,
             "ncclCommInitRank");
  handles_->token = Tensor::zeros({1}, DType::Float32, Device::cuda(device_));
}

NcclProcessGroup::~NcclProcessGroup() = default;

void NcclProcessGroup::set_timeout(double seconds) {
  VEIL_CHECK(seconds > 0 && std::isfinite(seconds)) << "the collective timeout must be positive, got " << seconds << " s";
  timeout_seconds_ = seconds;
  bootstrap_.set_timeout(seconds);
}

void NcclProcessGroup::check_usable(const char* operation) const {
  if (broken_)
    throw Error(rank_label(*this) + ": " + operation + " on a process group whose earlier collective failed");
}

void NcclProcessGroup::wait(const char* operation) {
  for (PollBackoff backoff;; backoff.pause()) {
    const cudaError_t done = cudaStreamQuery(handles_->stream.get());
    if (done == cudaSuccess) return;
    ncclResult_t async = ncclSuccess;
    ncclCommGetAsyncError(handles_->comm.get(), &async);
    const bool failed = done != cudaErrorNotReady || (async != ncclSuccess && async != ncclInProgress);
    if (failed || backoff.waited_seconds() > timeout_seconds_) {
      broken_ = true;
      handles_->comm.abort();  // ends the kernels still waiting for a peer
      if (done != cudaErrorNotReady)
        throw Error(rank_label(*this) + ": " + operation + " failed on the GPU: " + cudaGetErrorString(done));
      if (async != ncclSuccess && async != ncclInProgress)
        throw Error(rank_label(*this) + ": NCCL " + operation + " failed: " + ncclGetErrorString(async));
      throw Error(rank_label(*this) + ": " + operation + " timed out after " + std::to_string(timeout_seconds_) +
                  " s waiting for the other ranks (one of them failed or is stuck)");
    }
  }
}

void NcclProcessGroup::all_reduce_sum_(const std::vector<Tensor>& tensors) {
  const char* op = "all_reduce_sum_";
  check_usable(op);
  VEIL_CUDA_CHECK(cudaDeviceSynchronize());  // the tensors' producers ran on other streams
  check_nccl(ncclGroupStart(), *this, "ncclGroupStart");
  for (const Tensor& t : tensors) {
    const std::size_t count = checked_count(t, device_, rank_label(*this) + ": " + op);
    check_nccl(ncclAllReduce(t.raw_data(), t.raw_data(), count, nccl_type(t.dtype()), ncclSum, handles_->comm.get(),
                             handles_->stream.get()),
               *this, "ncclAllReduce");
  }
  check_nccl(ncclGroupEnd(), *this, "ncclGroupEnd");
  wait(op);
}

void NcclProcessGroup::broadcast_(const std::vector<Tensor>& tensors, int root) {
  const char* op = "broadcast_";
  check_usable(op);
  VEIL_CHECK(root >= 0 && root < size()) << rank_label(*this) << ": broadcast_ from root " << root
                                         << ", not a rank of the group";
  VEIL_CUDA_CHECK(cudaDeviceSynchronize());
  check_nccl(ncclGroupStart(), *this, "ncclGroupStart");
  for (const Tensor& t : tensors) {
    const std::size_t count = checked_count(t, device_, rank_label(*this) + ": " + op);
    check_nccl(ncclBroadcast(t.raw_data(), t.raw_data(), count, nccl_type(t.dtype()), root, handles_->comm.get(),
                             handles_->stream.get()),
               *this, "ncclBroadcast");
  }
  check_nccl(ncclGroupEnd(), *this, "ncclGroupEnd");
  wait(op);
}

void NcclProcessGroup::barrier() {
  const char* op = "barrier";
  check_usable(op);
  check_nccl(ncclAllReduce(handles_->token.raw_data(), handles_->token.raw_data(), 1, ncclFloat32, ncclSum,
                           handles_->comm.get(), handles_->stream.get()),
             *this, "ncclAllReduce");
  wait(op);
}

std::vector<std::byte> NcclProcessGroup::all_gather_bytes(const void* data, std::size_t bytes) {
  check_usable("all_gather");
  return bootstrap_.all_gather_bytes(data, bytes);
}

}  // namespace veil::distributed
