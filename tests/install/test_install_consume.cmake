# Installs veil from a build tree, moves the installed tree elsewhere (the
# package must be relocatable), then configures, builds and runs
# apps/embed_example against it as an outside project would: once through
# find_package(veil), once with the flags `pkg-config --cflags --libs veil`
# gives.
#
#   cmake -D VEIL_BUILD_DIR=... -D EXAMPLE_DIR=... -D WORK_DIR=... -D GENERATOR=...
#         -D CXX_COMPILER=... -D INCLUDEDIR=... -D LIBDIR=... -P test_install_consume.cmake
# INCLUDEDIR and LIBDIR are veil's CMAKE_INSTALL_INCLUDEDIR and _LIBDIR; CXX_FLAGS (optional)
# are the flags veil was built with: both builds of the example use them, so
# that the sanitizer build compiles and links it with the same sanitizers.
cmake_minimum_required(VERSION 3.25)  # script mode: current policies

foreach(var IN ITEMS VEIL_BUILD_DIR EXAMPLE_DIR WORK_DIR GENERATOR CXX_COMPILER INCLUDEDIR LIBDIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "test_install_consume.cmake: -D ${var}=... is required")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
run_step("install" ${CMAKE_COMMAND} --install ${VEIL_BUILD_DIR} --prefix ${WORK_DIR}/staged --component veil)
file(RENAME ${WORK_DIR}/staged ${WORK_DIR}/prefix)
set(prefix ${WORK_DIR}/prefix)

foreach(expected IN ITEMS ${INCLUDEDIR}/veil/veil.h ${INCLUDEDIR}/veil/core/tensor.h
                          ${INCLUDEDIR}/veil/privacy/privacy_engine.h ${INCLUDEDIR}/veil/optim/optimizer.h
                          ${LIBDIR}/cmake/veil/veilConfig.cmake
                          ${LIBDIR}/cmake/veil/veilConfigVersion.cmake ${LIBDIR}/cmake/veil/veilTargets.cmake
                          ${LIBDIR}/pkgconfig/veil.pc)
  if(NOT EXISTS ${prefix}/${expected})
    message(FATAL_ERROR "the installed tree lacks ${expected}")
  endif()
endforeach()
# Eigen is a private, build-time dependency: no installed header may need it.
file(GLOB_RECURSE headers ${prefix}/${INCLUDEDIR}/*.h)
foreach(header IN LISTS headers)
  file(STRINGS ${header} eigen_includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"][Ee]igen|unsupported/Eigen")
  if(eigen_includes)
    message(FATAL_ERROR "${header} includes Eigen: ${eigen_includes}")
  endif()
endforeach()

run_step("configuring the example" ${CMAKE_COMMAND} -S ${EXAMPLE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
         -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX_COMPILER} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
         -DCMAKE_PREFIX_PATH=${prefix})
run_step("building the example" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
function(check_example_runs program)
  run_step("running ${program}" ${program})
  message("${step_output}")
  if(NOT step_output MATCHES "epsilon = ([0-9.e+-]+)")
    message(FATAL_ERROR "${program} printed no epsilon")
  endif()
  if(NOT CMAKE_MATCH_1 GREATER 0)
    message(FATAL_ERROR "${program} printed epsilon = ${CMAKE_MATCH_1}, expected a positive number")
  endif()
endfunction()
check_example_runs(${WORK_DIR}/build/embed_example)

# pkg-config users: the same example compiled with veil.pc's flags only.
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
run_step("pkg-config" ${PKG_CONFIG} --cflags --libs veil)
string(STRIP "${step_output}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")
run_step("building the example with pkg-config's flags" ${CXX_COMPILER} -std=c++20 -O1 ${cxx_flags}
         ${EXAMPLE_DIR}/main.cpp ${pc_flags} -o ${WORK_DIR}/embed_example_pkg_config)
check_example_runs(${WORK_DIR}/embed_example_pkg_config)
