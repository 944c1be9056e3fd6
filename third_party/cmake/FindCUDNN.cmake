# Finds cuDNN and defines CUDNN::cudnn.
include(${CMAKE_CURRENT_LIST_DIR}/VeilFindImported.cmake)
veil_find_imported(CUDNN cudnn.h cudnn CUDNN::cudnn)
