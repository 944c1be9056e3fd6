#include "support/accountant_runs.h"

#include "veil/privacy/rdp_accountant.h"

namespace veil::testing {

privacy::PrvResult prv(double sigma, double q, std::int64_t steps, double delta, privacy::PrvOptions options) {
  privacy::PrvAccountant accountant(options);
  accountant.step(sigma, q, steps);
  return accountant.compute(delta);
}

double rdp_epsilon(double sigma, double q, std::int64_t steps, double delta) {
  privacy::RdpAccountant accountant;
  accountant.step(sigma, q, steps);
  return accountant.get_epsilon(delta).epsilon;
}

}  // namespace veil::testing
