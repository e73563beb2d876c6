// `homeserve --version`: the project version from CMake and, when built from a
// git checkout, the commit (with "-dirty" when the tree had local changes).
#pragma once

#include <string>

namespace hs::cli {

// "homeserve 0.1.0 (git 5584720abcde)" or "homeserve 0.1.0" outside a checkout.
std::string version_text();

}  // namespace hs::cli
