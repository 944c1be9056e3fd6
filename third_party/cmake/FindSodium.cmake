# Finds libsodium (Debian: libsodium-dev), which ships no CMake package, and
# defines the imported target Sodium::Sodium. Honours Sodium_ROOT.
find_path(Sodium_INCLUDE_DIR sodium.h HINTS ${Sodium_ROOT} $ENV{Sodium_ROOT} PATH_SUFFIXES include)
find_library(Sodium_LIBRARY sodium HINTS ${Sodium_ROOT} $ENV{Sodium_ROOT} PATH_SUFFIXES lib lib64)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Sodium REQUIRED_VARS Sodium_LIBRARY Sodium_INCLUDE_DIR)
if(Sodium_FOUND AND NOT TARGET Sodium::Sodium)
  add_library(Sodium::Sodium UNKNOWN IMPORTED)
  set_target_properties(Sodium::Sodium PROPERTIES
    IMPORTED_LOCATION ${Sodium_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${Sodium_INCLUDE_DIR})
endif()
mark_as_advanced(Sodium_INCLUDE_DIR Sodium_LIBRARY)
