# veil_find_cuda_toolkit(): find_package(CUDAToolkit) that also works with
# Debian 12's FindCUDAToolkit.cmake (CMake 3.25.1) and CUDA >= 12.9. That
# module marks CUDA::nvToolsExt deprecated without checking that the target
# exists whenever the project requires CMake >= 3.25, and those CUDA releases
# no longer ship the library, so configuring fails. Presenting an older
# minimum version while the module runs skips that branch; policies are
# untouched (they follow cmake_minimum_required, not this variable).
macro(veil_find_cuda_toolkit)
  set(veil_saved_minimum_version ${CMAKE_MINIMUM_REQUIRED_VERSION})
  set(CMAKE_MINIMUM_REQUIRED_VERSION 3.24)
  find_package(CUDAToolkit ${ARGN})
  set(CMAKE_MINIMUM_REQUIRED_VERSION ${veil_saved_minimum_version})
endmacro()
