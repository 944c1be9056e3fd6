// Accountants and noise calibration (docs/guide.md, "Accountants").
#include <iostream>
#include <string>

#include <veil/veil.h>

using namespace veil;

int main() try {
  // The Opacus MNIST schedule: sigma 1.0, batch 200 of 60000 (q = 1/300),
  // 10 epochs = 3000 steps, delta 1e-5.
  auto epsilon_under = [](const std::string& name) {
    auto accountant = privacy::make_accountant(name);
    accountant->step(/*noise_multiplier=*/1.0, /*sample_rate=*/1.0 / 300, /*num_steps=*/3000);
    return accountant->get_epsilon(/*delta=*/1e-5).epsilon;
  };
  const double rdp = epsilon_under("rdp"), prv = epsilon_under("prv"), pld = epsilon_under("pld"),
               gdp = epsilon_under("gdp");
  std::cout << "epsilon: rdp " << rdp << ", prv " << prv << ", pld " << pld << ", gdp " << gdp
            << " (an approximation)\n";
  VEIL_CHECK(prv <= rdp) << "PRV is the tighter bound";
  VEIL_CHECK(pld <= prv) << "PLD is tighter still";

  // The smallest sigma that keeps the same schedule within epsilon 1.
  const double sigma = privacy::noise_for_epsilon(/*target_epsilon=*/1.0, /*delta=*/1e-5, /*sample_rate=*/1.0 / 300,
                                                  /*steps=*/3000, "rdp");
  std::cout << "sigma for epsilon 1: " << sigma << "\n";
  VEIL_CHECK(sigma > 1.0);
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
