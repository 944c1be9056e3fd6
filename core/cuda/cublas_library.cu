#include "veil/core/cuda/cublas_library.h"

#include <dlfcn.h>

#include <string>

#include "veil/core/error.h"

namespace veil::cuda {

namespace {

void* open_cublas() {
  const std::string name = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  if (void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
  const std::string first_reason = dlerror();
  const std::string in_toolkit = std::string(VEIL_CUDA_LIBRARY_DIR) + "/" + name;
  void* handle = dlopen(in_toolkit.c_str(), RTLD_NOW | RTLD_LOCAL);
  VEIL_CHECK(handle != nullptr) << "cannot load cuBLAS for the GPU: " << first_reason << "; " << dlerror()
                                << " (set LD_LIBRARY_PATH to the folder holding " << name << ")";
  return handle;
}

template <typename Fn>
void bind(void* library, const char* symbol, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  VEIL_CHECK(fn != nullptr) << "cuBLAS has no " << symbol << ": " << dlerror();
}

}  // namespace

const CublasLibrary& cublas_library() {
  static const CublasLibrary library = [] {
    void* handle = open_cublas();  // kept open for the process's lifetime
    CublasLibrary l{};
    bind(handle, "cublasCreate_v2", l.create);
    bind(handle, "cublasDestroy_v2", l.destroy);
    bind(handle, "cublasSetStream_v2", l.set_stream);
    bind(handle, "cublasSgemm_v2", l.sgemm);
    bind(handle, "cublasDgemm_v2", l.dgemm);
    bind(handle, "cublasSgemmStridedBatched", l.sgemm_strided_batched);
    bind(handle, "cublasDgemmStridedBatched", l.dgemm_strided_batched);
    bind(handle, "cublasGetStatusName", l.status_name);
    bind(handle, "cublasGetStatusString", l.status_string);
    return l;
  }();
  return library;
}

}  // namespace veil::cuda
