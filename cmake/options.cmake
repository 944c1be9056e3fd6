# Build options. The dependency-backed ones default to "AUTO": on when the
# dependency is found, off (with a line in the summary) when it is not.
set(VEIL_WITH_CUDA AUTO CACHE STRING "Build CUDA kernels (AUTO, ON, OFF)")
set(VEIL_WITH_NCCL AUTO CACHE STRING "Build the NCCL process group (AUTO, ON, OFF)")
set(VEIL_WITH_MPI  AUTO CACHE STRING "Build the MPI process group (AUTO, ON, OFF)")
option(VEIL_BUILD_TESTS "Build the Catch2 tests" ${VEIL_IS_TOP_LEVEL})
option(VEIL_BUILD_APPS "Build apps and benchmarks" ${VEIL_IS_TOP_LEVEL})
option(VEIL_BUILD_FUZZERS "Build the libFuzzer harnesses in tests/fuzz (clang; see scripts/fuzz.sh)" OFF)
option(VEIL_NATIVE "Tune CPU code for the build machine (-march=native)" ON)
option(BUILD_SHARED_LIBS "Build veil as a shared library" OFF)
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "CUDA architectures (90 = H100/H200)")
endif()
