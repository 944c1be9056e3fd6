#include "veil/core/cuda/dynamic_library.h"

#include <dlfcn.h>

#include "veil/core/error.h"

namespace veil::cuda {

DynamicLibrary::DynamicLibrary(const std::string& display, const std::string& purpose, const std::string& soname,
                               const std::string& fallback_dir, const std::string& hint)
    : display_(display) {
  handle_ = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ != nullptr) return;
  const std::string first_reason = dlerror();
  const std::string fallback = fallback_dir + "/" + soname;
  handle_ = dlopen(fallback.c_str(), RTLD_NOW | RTLD_LOCAL);
  VEIL_CHECK(handle_ != nullptr) << "cannot load " << display << " " << purpose << ": " << first_reason << "; "
                                 << dlerror() << " (set LD_LIBRARY_PATH to the folder holding " << soname << hint
                                 << ")";
}

void* DynamicLibrary::address(const char* symbol) const {
  void* found = dlsym(handle_, symbol);
  VEIL_CHECK(found != nullptr) << display_ << " has no " << symbol << ": " << dlerror();
  return found;
}

}  // namespace veil::cuda
