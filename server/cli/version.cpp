#include "cli/version.hpp"

// Written at build time by version.cmake (only when the commit changes, so a
// new commit recompiles this file alone).
#include "homeserve_commit.hpp"

namespace hs::cli {

std::string version_text() {
  std::string text = std::string("homeserve ") + HS_VERSION;
  const std::string commit = HS_GIT_COMMIT;
  if (!commit.empty()) text += " (git " + commit + ")";
  return text;
}

}  // namespace hs::cli
