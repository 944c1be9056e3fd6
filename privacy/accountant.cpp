#include "veil/privacy/accountant.h"

#include <limits>

#include "veil/core/error.h"
#include "veil/privacy/gdp_accountant.h"
#include "veil/privacy/pld_accountant.h"
#include "veil/privacy/prv_accountant.h"
#include "veil/privacy/rdp_accountant.h"

namespace veil::privacy {

EpsilonResult Accountant::get_epsilon(double delta) const {
  VEIL_CHECK(delta > 0.0 && delta < 1.0) << "delta must lie in (0, 1), got " << delta;
  if (history_.has_noiseless_step())
    return {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()};
  return compute_epsilon(delta);
}

std::unique_ptr<Accountant> make_accountant(const std::string& name) {
  if (name == "rdp") return std::make_unique<RdpAccountant>();
  if (name == "prv") return std::make_unique<PrvAccountant>();
  if (name == "pld") return std::make_unique<PldAccountant>();
  if (name == "gdp") return std::make_unique<GdpAccountant>();
  VEIL_FAIL() << "unknown accountant '" << name << "' (expected rdp, prv, pld or gdp)";
  return nullptr;  // not reached: VEIL_FAIL throws
}

}  // namespace veil::privacy
