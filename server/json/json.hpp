// hs::json in one include: the strict parser (parser.hpp), the read API over
// its tokens (reader.hpp) and the response writer (writer.hpp).
#pragma once

#include "json/parser.hpp"
#include "json/reader.hpp"
#include "json/writer.hpp"
