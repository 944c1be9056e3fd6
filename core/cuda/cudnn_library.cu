#include "veil/core/cuda/cudnn_library.h"

#include <dlfcn.h>

#include <string>

namespace veil::cuda {

namespace {

void* open_cudnn() {
  const std::string name = "libcudnn.so." + std::to_string(CUDNN_MAJOR);
  if (void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
  const std::string first_reason = dlerror();
  const std::string found_at_configure = std::string(VEIL_CUDNN_LIBRARY_DIR) + "/" + name;
  void* handle = dlopen(found_at_configure.c_str(), RTLD_NOW | RTLD_LOCAL);
  VEIL_CHECK(handle != nullptr) << "cannot load cuDNN for the cudnn convolution route (VEIL_CUDA_CONV=cudnn): "
                                << first_reason << "; " << dlerror() << " (set LD_LIBRARY_PATH to the folder holding "
                                << name << ", or unset VEIL_CUDA_CONV)";
  return handle;
}

template <typename Fn>
void bind(void* library, const char* symbol, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  VEIL_CHECK(fn != nullptr) << "cuDNN has no " << symbol << ": " << dlerror();
}

}  // namespace

const CudnnLibrary& cudnn_library() {
  static const CudnnLibrary library = [] {
    void* handle = open_cudnn();  // kept open for the process's lifetime
    CudnnLibrary l{};
    bind(handle, "cudnnGetErrorString", l.error_string);
    bind(handle, "cudnnCreate", l.create);
    bind(handle, "cudnnDestroy", l.destroy);
    bind(handle, "cudnnSetStream", l.set_stream);
    bind(handle, "cudnnCreateTensorDescriptor", l.create_tensor_descriptor);
    bind(handle, "cudnnDestroyTensorDescriptor", l.destroy_tensor_descriptor);
    bind(handle, "cudnnSetTensor4dDescriptor", l.set_tensor_4d_descriptor);
    bind(handle, "cudnnCreateFilterDescriptor", l.create_filter_descriptor);
    bind(handle, "cudnnDestroyFilterDescriptor", l.destroy_filter_descriptor);
    bind(handle, "cudnnSetFilter4dDescriptor", l.set_filter_4d_descriptor);
    bind(handle, "cudnnCreateConvolutionDescriptor", l.create_convolution_descriptor);
    bind(handle, "cudnnDestroyConvolutionDescriptor", l.destroy_convolution_descriptor);
    bind(handle, "cudnnSetConvolution2dDescriptor", l.set_convolution_2d_descriptor);
    bind(handle, "cudnnSetConvolutionGroupCount", l.set_convolution_group_count);
    bind(handle, "cudnnSetConvolutionMathType", l.set_convolution_math_type);
    bind(handle, "cudnnGetConvolutionForwardAlgorithm_v7", l.get_forward_algorithm);
    bind(handle, "cudnnGetConvolutionForwardWorkspaceSize", l.get_forward_workspace_size);
    bind(handle, "cudnnConvolutionForward", l.convolution_forward);
    bind(handle, "cudnnGetConvolutionBackwardDataAlgorithm_v7", l.get_backward_data_algorithm);
    bind(handle, "cudnnGetConvolutionBackwardDataWorkspaceSize", l.get_backward_data_workspace_size);
    bind(handle, "cudnnConvolutionBackwardData", l.convolution_backward_data);
    return l;
  }();
  return library;
}

}  // namespace veil::cuda
