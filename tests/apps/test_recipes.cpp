// mnist_dp_ddp's recipes (apps/support/recipes.h) and how --recipe combines
// with the other flags (apps/support/training_options.h).
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "support/recipes.h"
#include "support/training_options.h"

using namespace veil::cli;

namespace {

// The options after parsing `args` and applying the recipe and the checks.
TrainingOptions parsed(const std::vector<std::string>& args) {
  TrainingOptions o;
  CLI::App app{"", "mnist_dp_ddp"};
  add_training_options(app, o);
  std::ostringstream help;
  REQUIRE_FALSE(parse_or_help(app, args, help));
  check_training_options(app, o);
  return o;
}

std::string refusal(const std::vector<std::string>& args) {
  try {
    parsed(args);
  } catch (const UsageError& error) {
    return error.what();
  }
  FAIL("no usage error for the arguments");
  return "";
}

}  // namespace

TEST_CASE("the tutorial recipe is the app's defaults, and the default recipe", "[apps][recipes]") {
  REQUIRE(recipes().front().name == "tutorial");
  const TrainingOptions defaults;
  for (const TrainingOptions& o : {parsed({}), parsed({"--recipe", "tutorial"})}) {
    REQUIRE(o.recipe == "tutorial");
    REQUIRE(o.model == defaults.model);
    REQUIRE(o.epochs == defaults.epochs);
    REQUIRE(o.batch_size == defaults.batch_size);
    REQUIRE(o.lr == defaults.lr);
    REQUIRE(o.momentum == defaults.momentum);
    REQUIRE(o.sigma == defaults.sigma);
    REQUIRE(o.max_grad_norm == defaults.max_grad_norm);
    REQUIRE(o.target_epsilon == 0.0);
    REQUIRE(o.optimizer == defaults.optimizer);
    REQUIRE(o.accountant == defaults.accountant);
    REQUIRE(o.ema_decay == 0.0);
  }
}

TEST_CASE("the epsilon-3 recipes target epsilon 3 at delta 1e-5 with the PLD accountant", "[apps][recipes]") {
  for (const char* name : {"mnist-eps3", "fashion-eps3"}) {
    INFO(name);
    const Recipe& r = find_recipe(name);
    REQUIRE(r.name == name);
    REQUIRE(r.target_epsilon == 3.0);
    REQUIRE(r.accountant == "pld");  // the tightest certified accountant veil has
    const TrainingOptions o = parsed({"--recipe", name});
    REQUIRE(o.target_epsilon == 3.0);
    REQUIRE(o.delta == 1e-5);
    REQUIRE(o.accountant == "pld");
    // Tramer & Boneh's linear model on ScatterNet features, normalised by GroupNorm.
    REQUIRE(r.model == "scatter-linear");
    REQUIRE(r.groups > 0);
    REQUIRE(81 % r.groups == 0);
    REQUIRE(o.model == r.model);
    REQUIRE(o.groups == r.groups);
    REQUIRE(o.batch_size == r.batch_size);
    REQUIRE(o.epochs == r.epochs);
    REQUIRE(o.lr == r.lr);
    REQUIRE(o.ema_decay == r.ema_decay);
  }
}

TEST_CASE("flags given with a recipe override its values", "[apps][recipes]") {
  const Recipe& r = find_recipe("mnist-eps3");
  const TrainingOptions o = parsed({"--recipe", "mnist-eps3", "--lr", "0.25", "--epochs", "3", "--accountant", "rdp",
                                    "--ema-decay", "0"});
  REQUIRE(o.lr == 0.25);
  REQUIRE(o.epochs == 3);
  REQUIRE(o.accountant == "rdp");
  REQUIRE(o.ema_decay == 0.0);
  REQUIRE(o.batch_size == r.batch_size);  // not given: the recipe's
  REQUIRE(parsed({"--recipe", "mnist-eps3", "--target-epsilon", "1.5"}).target_epsilon == 1.5);
  // --sigma asks for fixed noise: the recipe's target gives way to it.
  const TrainingOptions fixed = parsed({"--recipe", "mnist-eps3", "--sigma", "2"});
  REQUIRE(fixed.sigma == 2.0);
  REQUIRE(fixed.target_epsilon == 0.0);
  // --no-dp keeps the recipe's model and training: the non-private reference.
  const TrainingOptions reference = parsed({"--recipe", "fashion-eps3", "--no-dp"});
  REQUIRE_FALSE(reference.dp());
  REQUIRE(reference.model == find_recipe("fashion-eps3").model);
}

TEST_CASE("an unknown recipe or model option is refused naming the flag", "[apps][recipes]") {
  const std::string unknown = refusal({"--recipe", "cifar"});
  REQUIRE(unknown.find("--recipe") != std::string::npos);
  REQUIRE(unknown.find("'cifar'") != std::string::npos);
  REQUIRE(unknown.find(recipe_names()) != std::string::npos);
  REQUIRE(recipe_names() == "tutorial, mnist-eps3, fashion-eps3");
  REQUIRE(refusal({"--model", "resnet"}).find("--model") != std::string::npos);
  REQUIRE(refusal({"--width", "2"}).find("tanh-cnn") != std::string::npos);  // the tutorial's model has no width
  REQUIRE(refusal({"--model", "tanh-cnn", "--groups", "5"}).find("--groups") != std::string::npos);
  REQUIRE(refusal({"--groups", "3"}).find("--groups") != std::string::npos);  // SampleConvNet has no GroupNorm
  // scatter-linear normalises the 81 scattering channels: its groups divide 81, and it has no width.
  REQUIRE(parsed({"--model", "scatter-linear", "--groups", "27"}).groups == 27);
  REQUIRE(parsed({"--model", "scatter-linear", "--groups", "0"}).groups == 0);
  REQUIRE(refusal({"--model", "scatter-linear", "--groups", "16"}).find("81") != std::string::npos);
  REQUIRE(refusal({"--model", "scatter-linear", "--width", "2"}).find("--width") != std::string::npos);
  REQUIRE(refusal({"--ema-decay", "1"}).find("--ema-decay") != std::string::npos);
  REQUIRE(refusal({"--ema-decay", "0.9", "--checkpoint", "ck.bin"}).find("--checkpoint") != std::string::npos);
}
