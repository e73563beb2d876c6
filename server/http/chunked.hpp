// Chunked transfer coding decoder (RFC 9112 §7.1), incremental and in place:
// the decoded body ends up as one contiguous span at the start of the body
// region of the receive buffer (feed(), the server). Or streamed: the data
// comes back piece by piece as views into the input, which is not written
// (next(), the client's response framer). One state machine for both. No
// I/O, no allocation, no exceptions.
//
// Contract
// --------
// `region` is the body region of the receive buffer: it starts at the first
// byte after the request head and holds every body byte received so far.
// Call feed() each time more bytes arrive, with a region at least as long as
// the previous one and holding the same bytes before (the connection appends
// what it received and passes the longer span; where reads ended does not
// matter, a split at any byte gives the same result). The decoder keeps only
// offsets, never pointers: the caller may move the whole region between calls
// (e.g. linearise a ring buffer) as long as its bytes keep their offsets.
// Between calls the caller must not change region[0, consumed()) — the
// decoder writes the decoded body there — but it may call compact() to
// reclaim the chunk framing bytes.
//
//   NeedMore: every byte given so far was consumed; call again with more.
//   Done:     `consumed` is the number of region bytes that belonged to the
//             body (through the CRLF that ends the trailer section); bytes at
//             region[consumed, ...) are untouched and belong to the next
//             pipelined request. body() is the decoded body, region[0, n).
//   Failed:   `error` holds the status to answer (400, 413, 431); the
//             connection must close (the framing is lost). Repeated calls
//             return the same result.
//
// Decisions (strict, each one a smuggling defence):
// - chunk-size: 1..16 hex digits (leading zeros allowed, they count), value
//   at most 2^63; nothing but `;`-extensions (with BWS before `;`, RFC 9112
//   grammar) may follow it: `5 \r\n`, `5x`, `0x5`, `-5`, `+5` -> 400.
// - A running size (body so far + declared chunk) above max_body -> 413 as
//   soon as the digit that makes it too large is read.
// - Extensions: `;` BWS token [BWS `=` BWS (token / quoted-string)], parsed
//   and ignored; their bytes (from the first `;` to the CR) are counted over
//   the whole message, more than max_ext_bytes -> 400.
// - Every line ends in CRLF; a bare LF or a CR not followed by LF -> 400. The
//   CRLF after each chunk's data is required (anything else -> 400).
// - Trailer fields: token ":" OWS field-value OWS CRLF, no obs-fold, values
//   of VCHAR/obs-text/SP/HTAB; parsed and ignored. More than
//   max_trailer_fields fields or more than max_trailer_bytes bytes in the
//   trailer section (its closing CRLF included) -> 431.
//
// Memory: sizeof(ChunkedDecoder) and nothing else; time is linear in the
// bytes fed, each byte is looked at once (data bytes are moved with memmove).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "http/status.hpp"

namespace hs::http {

struct ChunkedLimits {
  uint64_t max_body = 1024 * 1024;   // decoded bytes; beyond -> 413
  size_t max_ext_bytes = 256;        // chunk-extension bytes per message; beyond -> 400
  size_t max_trailer_fields = 16;    // beyond -> 431
  size_t max_trailer_bytes = 4096;   // trailer section bytes; beyond -> 431
};

enum class ChunkedState : uint8_t { NeedMore, Done, Failed };

struct ChunkedResult {
  ChunkedState state = ChunkedState::NeedMore;
  Error error;          // set when state == Failed
  size_t consumed = 0;  // region bytes consumed so far (with Done: the whole body)
};

// One step of streamed decoding (next()).
struct ChunkedPiece {
  ChunkedState state = ChunkedState::NeedMore;
  Error error;            // set when state == Failed
  size_t consumed = 0;    // bytes of `in` consumed by this step
  std::string_view data;  // chunk data inside `in` (may be empty); it ends the consumed bytes
};

class ChunkedDecoder {
 public:
  ChunkedDecoder() = default;
  explicit ChunkedDecoder(const ChunkedLimits& limits) : limits_(limits) {}

  // Decodes the new bytes region[consumed(), region.size()). See the contract.
  ChunkedResult feed(std::span<char> region);

  // Streamed decoding (a client reading a response body): `in` holds the
  // bytes not consumed yet; nothing is written or kept. Consumes framing
  // bytes up to the first data byte, then the data of the current chunk that
  // is in `in`, and returns that piece as a view into `in` (one piece a
  // call); with NeedMore and no data it consumed all of `in`. Drop
  // `consumed` bytes and call again (with more bytes once NeedMore consumed
  // everything). Same grammar, limits and errors as feed(); max_body counts
  // the data returned. consumed() and decoded_size() count over the whole
  // stream. Do not mix with feed() on one decoder.
  ChunkedPiece next(std::string_view in);

  // The failure is about size, not grammar: the body above max_body (413),
  // the trailer section above its limits (431), or (400s to the server,
  // which cannot read them; a client calls them too large) extensions above
  // max_ext_bytes or a chunk size of more than 16 digits or above 2^63.
  bool failed_on_size() const;

  // Moves the not yet consumed bytes region[consumed(), region.size()) down
  // to region[decoded_size(), ...) so the framing bytes already consumed stop
  // taking room, and returns the new length of the received data in region
  // (the caller appends further reads there). Offsets reported afterwards
  // (`consumed`) are relative to the compacted layout. Not after Done.
  size_t compact(std::span<char> region);

  // The decoded body so far (complete once Done): region[0, decoded_size()).
  std::span<char> body(std::span<char> region) const { return region.first(out_); }
  size_t decoded_size() const { return out_; }
  size_t consumed() const { return in_; }
  ChunkedState state() const;

 private:
  enum class St : uint8_t {
    SizeFirst, Size, SizeBws, ExtBwsBeforeName, ExtName, ExtBwsAfterName, ExtBwsAfterEq,
    ExtToken, ExtQuoted, ExtQuotedPair, ExtAfterQuote, ExtAfterValue, SizeLf,
    Data, DataCr, DataLf,
    TrailerStart, TrailerName, TrailerOws, TrailerValue, TrailerLf, FinalLf,
    Done, Failed,
  };

  // advance(): framing bytes up to the first data byte, then the data there
  // is of the current chunk: one piece, p[data_at, data_at + data_len), at
  // the end of the `consumed` bytes. A failing byte counts as consumed.
  struct Step {
    size_t consumed;
    size_t data_at;
    size_t data_len;
  };
  Step advance(const char* p, size_t n);
  Step fail(size_t consumed, Status s, const char* reason);
  ChunkedResult result() const;

  ChunkedLimits limits_{};
  St st_ = St::SizeFirst;
  Error error_{};
  size_t in_ = 0;          // region bytes consumed (next(): stream bytes)
  size_t out_ = 0;         // decoded bytes written at region[0, out_) (next(): returned)
  uint64_t size_ = 0;      // current chunk size being read
  uint64_t remaining_ = 0; // data bytes left in the current chunk
  uint8_t digits_ = 0;     // hex digits of the current size
  size_t ext_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  size_t trailer_fields_ = 0;
};

}  // namespace hs::http
