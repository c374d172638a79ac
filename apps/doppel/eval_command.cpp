// File: apps/doppel/eval_command.cpp
//
// `doppel eval --truth TRUTH.jsonl (--run DIR | INPUT... [dedup flags])`:
// flags -> doppel::eval library calls -> table, JSON or CSV on stdout.
//
// Without --run, eval runs dedup first, into a temporary directory. It does so
// by starting this same binary as `doppel dedup ARGS... -o TMP -q`, with the
// inputs and every flag eval does not know passed through untouched. That way a
// dedup flag means exactly what it means to `doppel dedup` (same parsing, same
// validation, same messages), including flags added to dedup later (--sketch,
// --keep, --level ...), and eval keeps no second copy of dedup's flag list that
// could drift from the first.
#include "eval_command.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "doppel/eval.hpp"

extern char** environ;

namespace doppel::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kExitError = 2;

int fail(const std::string& message) {
  fmt::print(stderr, "doppel eval: error: {}\n", message);
  return kExitError;
}

// A private directory for dedup's outputs, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string pattern = (base / "doppel-eval-XXXXXX").string();
    if (::mkdtemp(pattern.data())) {
      path_ = pattern;
    } else {
      error_ = fmt::format("cannot create a temporary directory under {}: {}", base.string(), std::strerror(errno));
    }
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }
  const std::string& error() const { return error_; }

 private:
  fs::path path_;
  std::string error_;
};

// Runs `doppel dedup ARGS... -o OUT -q` as a child process (see the file comment)
// and returns its exit code, or -1 after printing why it could not be started.
int run_dedup_child(const std::vector<std::string>& args, const fs::path& out) {
  std::vector<std::string> argv_strings = {"doppel", "dedup"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  argv_strings.insert(argv_strings.end(), {"-o", out.string(), "-q"});
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    fmt::print(stderr, "doppel eval: error: cannot start doppel dedup: {}\n", std::strerror(rc));
    return -1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      fmt::print(stderr, "doppel eval: error: waiting for doppel dedup: {}\n", std::strerror(errno));
      return -1;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  fmt::print(stderr, "doppel eval: error: doppel dedup was killed by signal {}\n", WTERMSIG(status));
  return -1;
}

std::string join(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, " ")); }

bool names_flag(const std::string& arg, const std::string& flag) {
  return arg == flag || arg.rfind(flag + "=", 0) == 0;
}

bool print_stdout(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    return errno == EPIPE;  // a closed pipe (doppel eval ... | head) is not an error
  }
  return true;
}

}  // namespace

EvalCommand::EvalCommand(CLI::App& app) {
  cmd_ = app.add_subcommand(
      "eval",
      "Score a run against labelled truth (pairwise precision, recall, F1, adjusted Rand index, recall per match "
      "kind). Give --run DIR to score an existing output, or INPUT... and any dedup flags to run dedup first.");
  // Inputs and dedup flags are not declared here: they are passed to dedup as given.
  cmd_->allow_extras();
  cmd_->footer("Usage: doppel eval --truth FILE (--run DIR | INPUT... [dedup flags]) [options]");
  cmd_->add_option("--truth", truth_,
                   "Truth: a clustering ({\"id\",\"cluster\"} a line) or labelled pairs ({\"a\",\"b\",\"label\"} a "
                   "line); the kind is detected from the fields")
      ->required();
  cmd_->add_option("--run", run_dir_, "Score this dedup output directory (or its clusters.jsonl) instead of running dedup");
  cmd_->add_option("--planted", planted_,
                   "Planted pairs ({\"a\",\"b\",\"kind\"} a line, gen-corpus's planted.jsonl): adds recall per kind");
  cmd_->add_option("--field", field_, "clusters.jsonl field to score: cluster, or story for --level story runs")
      ->capture_default_str();
  cmd_->add_option("--label-field", label_field_,
                   "Field of a pair truth file holding the label (true/false, 1/0, \"same\"/\"different\", or a "
                   "number with --positive-max)")
      ->capture_default_str();
  positive_max_opt_ = cmd_->add_option(
      "--positive-max", positive_max_,
      "A numeric label is positive when <= this (SemEval-2022 task 8: --label-field overall --positive-max 1.5)");
  auto* json = cmd_->add_flag("--json", json_, "Print JSON instead of a table");
  cmd_->add_flag("--csv", csv_, "Print CSV (the columns of tests/regression/results.csv)")->excludes(json);
  cmd_->add_option("--sweep", sweep_,
                   "Run dedup once per threshold and print one row per threshold: jaccard, containment, both (the "
                   "two set to the same value), or the name of another dedup flag taking a value in [0, 1] (e.g. "
                   "story-threshold)");
  from_opt_ = cmd_->add_option("--from", from_, "First threshold of --sweep")->capture_default_str();
  to_opt_ = cmd_->add_option("--to", to_, "Last threshold of --sweep")->capture_default_str();
  step_opt_ = cmd_->add_option("--step", step_, "Threshold step of --sweep")->capture_default_str();
  cmd_->add_option("--plot", plot_, "With --sweep: write precision, recall and F1 against the threshold to FILE.svg");
}

int EvalCommand::run() {
  const std::vector<std::string> passthrough = cmd_->remaining();

  // Flag combinations, checked before any work.
  if (!run_dir_.empty() && !passthrough.empty()) {
    return fail(fmt::format("--run scores an existing output; these arguments only make sense without it: {}",
                            join(passthrough)));
  }
  if (run_dir_.empty() && passthrough.empty()) {
    return fail("give --run DIR to score an existing output, or INPUT... (and dedup flags) to run dedup first");
  }
  if (sweep_.empty()) {
    if (from_opt_->count() || to_opt_->count() || step_opt_->count()) return fail("--from, --to and --step need --sweep");
    if (!plot_.empty()) return fail("--plot needs --sweep");
  } else if (!run_dir_.empty()) {
    return fail("--sweep runs dedup once per threshold: give INPUT... instead of --run");
  }
  if (!plot_.empty() && fs::path(plot_).extension() != ".svg") {
    return fail(fmt::format("--plot writes an SVG file; give a name ending in .svg (got '{}')", plot_));
  }
  // The dedup flags a sweep sets: --jaccard, --containment, both, or --NAME.
  std::vector<std::string> swept_flags;
  if (sweep_ == "both") {
    swept_flags = {"--jaccard", "--containment"};
  } else if (!sweep_.empty()) {
    if (sweep_.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string::npos || sweep_[0] == '-') {
      return fail(fmt::format("--sweep takes jaccard, containment, both or a dedup flag name such as "
                              "story-threshold (got '{}')", sweep_));
    }
    swept_flags = {"--" + sweep_};
  }
  for (const auto& arg : passthrough) {
    if (names_flag(arg, "-o") || names_flag(arg, "--output") || (arg.size() > 2 && arg.rfind("-o", 0) == 0)) {
      return fail(
          "eval writes dedup's outputs to a temporary directory; to keep them, run 'doppel dedup ... -o DIR' and "
          "then 'doppel eval --run DIR'");
    }
    if (!sweep_.empty() && arg == "-") {
      return fail("--sweep reads the inputs once per threshold, so it cannot read stdin (-); save it to a file");
    }
    for (const auto& swept : swept_flags) {
      if (names_flag(arg, swept)) return fail(fmt::format("--sweep {} sets {} for every run; leave {} out", sweep_, swept, arg));
    }
  }
  std::vector<double> thresholds;
  if (!sweep_.empty()) {
    auto t = eval::sweep_thresholds(from_, to_, step_);
    if (!t) return fail(t.status().message() + " (--from/--to/--step)");
    thresholds = *t;
  }

  // Truth first: a bad truth file should fail before minutes of dedup.
  eval::TruthOptions truth_options;
  truth_options.label_field = label_field_;
  if (positive_max_opt_->count()) truth_options.positive_max = positive_max_;
  auto truth = eval::load_truth(truth_, truth_options);
  if (!truth) return fail(truth.status().message());
  std::vector<eval::LabelledPair> planted;
  if (!planted_.empty()) {
    auto p = eval::load_planted(planted_);
    if (!p) return fail(p.status().message());
    planted = std::move(*p);
  }

  auto render = [&](const eval::Scores& s) {
    return json_ ? eval::scores_to_json(s) : csv_ ? eval::scores_to_csv(s) : eval::scores_to_text(s);
  };
  auto finish = [&](const std::string& text, bool missing) {
    if (!print_stdout(text)) return kExitError;
    if (missing) fmt::print(stderr, "doppel eval: some truth documents are not in the run; they were scored as alone\n");
    return missing ? 1 : 0;
  };

  if (!run_dir_.empty()) {
    auto run = eval::load_run(run_dir_, field_);
    if (!run) return fail(run.status().message());
    eval::Scores s = eval::score(*truth, *run, planted);
    return finish(render(s), s.missing > 0);
  }

  ScratchDir scratch;
  if (!scratch.error().empty()) return fail(scratch.error());
  // One dedup run into DIR, scored; nullopt after printing why it failed.
  auto run_and_score = [&](const std::vector<std::string>& args,
                           const fs::path& dir) -> std::optional<eval::Scores> {
    int rc = run_dedup_child(args, dir);
    if (rc < 0) return std::nullopt;
    if (rc != 0 && rc != 1) {  // 1: finished, some records rejected (they show up as missing)
      fail(fmt::format("doppel dedup {} failed with exit code {} (its message is above)", join(args), rc));
      return std::nullopt;
    }
    auto run = eval::load_run(dir.string(), field_);
    if (!run) {
      fail(run.status().message());
      return std::nullopt;
    }
    eval::Scores s = eval::score(*truth, *run, planted);
    s.run = "dedup " + join(args);
    return s;
  };

  if (sweep_.empty()) {
    auto s = run_and_score(passthrough, scratch.path() / "run");
    if (!s) return kExitError;
    return finish(render(*s), s->missing > 0);
  }

  eval::Sweep sweep;
  sweep.parameter = sweep_;
  bool missing = false;
  const bool tell_progress = ::isatty(2);
  for (size_t i = 0; i < thresholds.size(); ++i) {
    std::vector<std::string> args = passthrough;
    std::string value = fmt::format("{}", thresholds[i]);
    for (const auto& flag : swept_flags) args.insert(args.end(), {flag, value});
    if (tell_progress) fmt::print(stderr, "doppel eval: run {} of {} ({} {})\n", i + 1, thresholds.size(), sweep_, value);
    fs::path dir = scratch.path() / fmt::format("run-{}", i);
    auto s = run_and_score(args, dir);
    if (!s) return kExitError;
    std::error_code ec;
    fs::remove_all(dir, ec);  // a long sweep over a big corpus need not keep every run on disk
    missing = missing || s->missing > 0;
    sweep.points.push_back({thresholds[i], std::move(*s)});
  }
  if (!plot_.empty()) {
    std::string title = fmt::format("precision, recall and F1 against {}, truth {}", sweep_ == "both" ? "both thresholds" : "--" + sweep_,
                                    fs::path(truth_).filename().string());
    Status w = eval::write_file(plot_, eval::sweep_to_svg(sweep, title));
    if (!w) return fail(w.message());
  }
  std::string text = json_ ? eval::sweep_to_json(sweep) : csv_ ? eval::sweep_to_csv(sweep) : eval::sweep_to_text(sweep);
  return finish(text, missing);
}

}  // namespace doppel::cli
