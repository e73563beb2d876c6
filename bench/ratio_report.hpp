// Shared by the micro-benchmarks: run every registered benchmark, keep the
// median CPU time per benchmark name, and print ratio lines that scripts/bench
// and other tooling read, e.g. `parser-small: homeserve/http_parser = 5.3x`.
// A ratio is a throughput ratio: peer time / homeserve time on the same input.
#pragma once

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace hs::bench {

class MedianCollector : public benchmark::ConsoleReporter {
public:
  // No colour codes into a pipe: tooling greps the ratio lines from the start.
  MedianCollector() : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
        medians_[r.run_name.function_name + (r.run_name.args.empty() ? "" : "/" + r.run_name.args)] =
            r.GetAdjustedCPUTime();
      } else if (r.run_type == Run::RT_Iteration && !medians_.count(r.benchmark_name())) {
        // Without repetitions there is no median aggregate; use the single run.
        single_[r.benchmark_name()] = r.GetAdjustedCPUTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  double time_of(const std::string& name) const {
    if (auto it = medians_.find(name); it != medians_.end()) return it->second;
    if (auto it = single_.find(name); it != single_.end()) return it->second;
    return 0;
  }

private:
  std::map<std::string, double> medians_;
  std::map<std::string, double> single_;
};

struct Ratio {
  const char* label;      // e.g. "parser-small"
  const char* ours;       // benchmark name of homeserve's run
  const char* peer;       // benchmark name of the peer's run
  const char* peer_name;  // e.g. "http_parser"
};

// Runs the benchmarks and prints one ratio line per entry. `defaults` are
// flags ("--benchmark_x=v") added unless the command line gives that flag;
// repetitions default to 5. Returns main's exit status.
inline int run_with_ratios(int argc, char** argv, const std::vector<Ratio>& ratios,
                           std::vector<std::string> defaults = {}) {
  defaults.push_back("--benchmark_repetitions=5");
  std::vector<char*> args(argv, argv + argc);
  for (std::string& flag : defaults) {
    const std::string name = flag.substr(0, flag.find('='));
    bool given = false;
    for (char* a : args) given = given || std::string(a).rfind(name, 0) == 0;
    if (!given) args.push_back(flag.data());
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
  MedianCollector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  for (const Ratio& r : ratios) {
    const double ours = collector.time_of(r.ours);
    const double peer = collector.time_of(r.peer);
    if (ours > 0 && peer > 0)
      std::printf("%s: homeserve/%s = %.1fx\n", r.label, r.peer_name, peer / ours);
  }
  return 0;
}

}  // namespace hs::bench
