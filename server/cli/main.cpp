// homeserve: the one executable. Parses the command line (CLI11 stays in this
// folder) and hands plain configuration structs to the layers.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

namespace {

constexpr int kUsageError = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"homeserve: a small, fast HTTP/1.1 server with a resource footprint fixed at start-up"};
  app.fallthrough();
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("homeserve ") + HS_VERSION);

  std::string dir = ".";
  auto* serve = app.add_subcommand("serve", "Serve the files of a directory over HTTP/1.1");
  serve->add_option("dir", dir, "Document root")->capture_default_str()->check(CLI::ExistingDirectory);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "homeserve: %s (see 'homeserve --help')\n", e.what());
    return kUsageError;
  }

  if (serve->parsed()) {
    std::fputs(serve->help().c_str(), stdout);
    return 0;
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
