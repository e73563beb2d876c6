// Content-Type from a file name's extension: a small constexpr table of the
// types a home server meets (web pages, images, fonts, media, archives).
// Text types carry `; charset=utf-8`; anything unknown is
// application/octet-stream, so a browser downloads rather than sniffs it.
#pragma once

#include <string_view>

namespace hs::app {

inline constexpr std::string_view kOctetStream = "application/octet-stream";

// The extension is compared case-insensitively ("PHOTO.JPG" is image/jpeg).
// A name without an extension, or a dotfile's leading dot alone, is unknown.
std::string_view content_type_for(std::string_view file_name);

}  // namespace hs::app
