# Finds NCCL and defines NCCL::nccl.
include(${CMAKE_CURRENT_LIST_DIR}/VeilFindImported.cmake)
veil_find_imported(NCCL nccl.h nccl NCCL::nccl)
