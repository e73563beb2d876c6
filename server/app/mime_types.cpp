#include "app/mime_types.hpp"

#include <array>
#include <cstddef>

namespace hs::app {

namespace {

struct MimeRow {
  std::string_view ext;   // lower case, without the dot
  std::string_view type;
};

constexpr std::array<MimeRow, 56> kTable{{
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "text/xml; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"pdf", "application/pdf"},
    {"mp4", "video/mp4"},
    {"m4v", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"m4a", "audio/mp4"},
    {"ogg", "audio/ogg"},
    {"opus", "audio/ogg"},
    {"flac", "audio/flac"},
    {"wav", "audio/wav"},
    {"wasm", "application/wasm"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"zst", "application/zstd"},
    {"tar", "application/x-tar"},
    {"7z", "application/x-7z-compressed"},
    {"xhtml", "application/xhtml+xml"},
    {"webmanifest", "application/manifest+json"},
    {"vtt", "text/vtt; charset=utf-8"},
    {"srt", "text/plain; charset=utf-8"},
    {"log", "text/plain; charset=utf-8"},
    {"apng", "image/apng"},
    {"bmp", "image/bmp"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"heic", "image/heic"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"mkv", "video/x-matroska"},
    {"mov", "video/quicktime"},
    {"ogv", "video/ogg"},
    {"aac", "audio/aac"},
    {"oga", "audio/ogg"},
    {"epub", "application/epub+zip"},
}};

constexpr size_t kLongestExt = 11;  // "webmanifest"

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
  const size_t slash = file_name.rfind('/');
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  const size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return kOctetStream;
  const std::string_view ext = file_name.substr(dot + 1);
  if (ext.empty() || ext.size() > kLongestExt) return kOctetStream;
  char buf[kLongestExt];
  for (size_t i = 0; i < ext.size(); ++i) buf[i] = lower(ext[i]);
  const std::string_view key(buf, ext.size());
  for (const MimeRow& row : kTable)
    if (row.ext == key) return row.type;
  return kOctetStream;
}

}  // namespace hs::app
