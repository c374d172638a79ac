// File: apps/doppel/eval_command.hpp
//
// `doppel eval`: score a run (or run one) against labelled truth. Registered
// from main.cpp; all of its code lives in eval_command.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace doppel::cli {

class EvalCommand {
 public:
  // Adds the `eval` subcommand and its flags to `app`.
  explicit EvalCommand(CLI::App& app);
  bool parsed() const { return cmd_->parsed(); }
  // Runs the command after parsing; returns the exit code (0 ok, 1 scored but
  // some truth documents are not in the run, 2 error).
  int run();

 private:
  CLI::App* cmd_;
  std::string truth_;
  std::string run_dir_;
  std::string planted_;
  std::string field_ = "cluster";
  std::string label_field_ = "label";
  double positive_max_ = 0;
  CLI::Option* positive_max_opt_ = nullptr;  // given or not: no default threshold
  bool json_ = false;
  bool csv_ = false;
  std::string sweep_;
  double from_ = 0.5;
  double to_ = 0.95;
  double step_ = 0.05;
  CLI::Option* from_opt_ = nullptr;
  CLI::Option* to_opt_ = nullptr;
  CLI::Option* step_opt_ = nullptr;
  std::string plot_;
};

}  // namespace doppel::cli
