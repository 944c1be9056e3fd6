#pragma once
// A library of the CUDA stack (cuBLAS, cuDNN) opened at run time on first
// use and kept open for the process's lifetime, so that programs that never
// touch it neither load it nor run its start-up code (cublas_library.h says
// what that costs). Only the types come from the library's headers.
#include <string>

namespace veil::cuda {

class DynamicLibrary {
 public:
  // Opens `soname` from the loader's search path, or else from
  // `fallback_dir` (found at configure time). Throws veil::Error naming
  // `display` (e.g. "cuBLAS"), `purpose` ("for the GPU"), both of the
  // loader's reasons and what to set; `hint` ends that advice.
  DynamicLibrary(const std::string& display, const std::string& purpose, const std::string& soname,
                 const std::string& fallback_dir, const std::string& hint = "");

  // fn = the address of `symbol`; throws naming it when the library lacks it.
  template <typename Fn>
  void bind(const char* symbol, Fn& fn) const {
    fn = reinterpret_cast<Fn>(address(symbol));
  }

 private:
  void* address(const char* symbol) const;

  std::string display_;
  void* handle_ = nullptr;
};

}  // namespace veil::cuda
