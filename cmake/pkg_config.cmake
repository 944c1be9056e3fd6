# veil.pc for pkg-config users: `pkg-config --cflags --libs veil`. Mirrors
# what veil::veil carries: the include path, the VEIL_WITH_<X> definitions
# and the libraries of the options veil was built with. A static libveil
# needs its dependencies on every link, so they go into Libs; a shared one
# lists zlib only as private.
file(RELATIVE_PATH veil_pc_prefix ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" veil_pc_prefix "${veil_pc_prefix}")
set(veil_pc_requires "")
set(veil_pc_definitions "")
set(veil_pc_libs "")
set(veil_pc_libs_private "-lz -lsodium")
if(NOT BUILD_SHARED_LIBS)
  string(APPEND veil_pc_libs " -lz -lsodium")
  set(veil_pc_libs_private "")
endif()
if(VEIL_WITH_CUDA)
  string(APPEND veil_pc_definitions " -DVEIL_WITH_CUDA -I${CUDAToolkit_INCLUDE_DIRS}")
  string(APPEND veil_pc_libs " -L${CUDAToolkit_LIBRARY_DIR} -lcudart")
  if(NOT BUILD_SHARED_LIBS)
    string(APPEND veil_pc_libs " -ldl")  # cuBLAS and cuDNN are opened at run time
  endif()
endif()
if(VEIL_WITH_NCCL)
  string(APPEND veil_pc_definitions " -DVEIL_WITH_NCCL")
  get_filename_component(veil_nccl_dir ${NCCL_LIBRARY} DIRECTORY)
  string(APPEND veil_pc_libs " -L${veil_nccl_dir} -lnccl")
endif()
if(VEIL_WITH_MPI)
  string(APPEND veil_pc_definitions " -DVEIL_WITH_MPI")
  set(veil_pc_requires "ompi-cxx")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/veil.pc.in ${PROJECT_BINARY_DIR}/veil.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/veil.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT veil)
