// Accept-Encoding (RFC 9110 §12.5.3) for precompressed files: the field value
// and the codings available beside a file in, the coding to send out.
// Sans-I/O, no allocation.
//
// Decisions:
// - Coding names are case-insensitive; `x-gzip` is gzip; unknown codings and
//   parameters other than q are skipped; `*` gives its q to every coding not
//   listed. q=0 means "not acceptable"; a malformed qvalue counts as q=0 for
//   that element (a broken element never enables a coding).
// - No field, or an empty one: identity (§12.5.3 would allow any coding when
//   the field is absent, but clients that want compression send it).
// - Among the available codings with q > 0, the highest q wins; ties go to the
//   smallest output: br, then zstd, then gzip. Identity is chosen when no
//   available coding is acceptable (a 406 is never sent for static files).
#pragma once

#include <cstdint>
#include <string_view>

namespace hs::http {

enum class Coding : uint8_t { Identity = 0, Br = 1, Zstd = 2, Gzip = 3 };

// Bit masks of codings, for the available set.
constexpr uint8_t coding_bit(Coding c) { return static_cast<uint8_t>(1u << static_cast<unsigned>(c)); }

// Content-Encoding token ("br", "zstd", "gzip"; "" for identity) and the
// file name suffix (".br", ".zst", ".gz"; "" for identity).
std::string_view coding_token(Coding c);
std::string_view coding_suffix(Coding c);

// `available`: coding_bit()s of the encoded files present.
Coding choose_encoding(std::string_view accept_encoding, uint8_t available);

}  // namespace hs::http
