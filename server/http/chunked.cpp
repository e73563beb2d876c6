#include "http/chunked.hpp"

#include "http/char_classes.hpp"

#include <cstring>

namespace hs::http {
namespace {

// tchar per RFC 9110 §5.6.2 (the shared table).
constexpr bool is_tchar(unsigned char c) { return chars::is_tchar(static_cast<char>(c)); }

constexpr bool is_ws(unsigned char c) { return c == ' ' || c == '\t'; }
// field-vchar: VCHAR / obs-text.
constexpr bool is_field_vchar(unsigned char c) { return (c > 0x20 && c != 0x7f); }
// qdtext: HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text.
constexpr bool is_qdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

constexpr int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr uint64_t kMaxChunkSize = uint64_t{1} << 63;

constexpr char kTooManyDigits[] = "chunk size has too many digits";
constexpr char kSizeTooLarge[] = "chunk size too large";
constexpr char kExtTooLong[] = "chunk extensions too long";

}  // namespace

ChunkedState ChunkedDecoder::state() const {
  if (st_ == St::Done) return ChunkedState::Done;
  if (st_ == St::Failed) return ChunkedState::Failed;
  return ChunkedState::NeedMore;
}

ChunkedResult ChunkedDecoder::result() const {
  return ChunkedResult{state(), error_, in_};
}

bool ChunkedDecoder::failed_on_size() const {
  if (st_ != St::Failed) return false;
  const char* r = error_.reason.data();
  return error_.status != Status::BadRequest || r == kTooManyDigits || r == kSizeTooLarge || r == kExtTooLong;
}

ChunkedDecoder::Step ChunkedDecoder::fail(size_t consumed, Status s, const char* reason) {
  st_ = St::Failed;
  error_ = Error{s, reason};
  return {consumed, 0, 0};
}

size_t ChunkedDecoder::compact(std::span<char> region) {
  const size_t n = region.size() < in_ ? in_ : region.size();
  if (st_ == St::Done || st_ == St::Failed || in_ == out_) return n;
  const size_t pending = n - in_;
  if (pending > 0) std::memmove(region.data() + out_, region.data() + in_, pending);
  in_ = out_;
  return out_ + pending;
}

ChunkedResult ChunkedDecoder::feed(std::span<char> region) {
  char* const p = region.data();
  const size_t n = region.size();
  while (in_ < n && st_ != St::Done && st_ != St::Failed) {
    const size_t out_before = out_;
    const Step step = advance(p + in_, n - in_);
    // The data piece moves down to the end of the decoded body.
    if (step.data_len > 0 && out_before != in_ + step.data_at)
      std::memmove(p + out_before, p + in_ + step.data_at, step.data_len);
    in_ += step.consumed;
  }
  return result();
}

ChunkedPiece ChunkedDecoder::next(std::string_view in) {
  if (st_ == St::Done || st_ == St::Failed) return {state(), error_, 0, {}};
  const Step step = advance(in.data(), in.size());
  in_ += step.consumed;
  return {state(), error_, step.consumed, in.substr(step.data_at, step.data_len)};
}

ChunkedDecoder::Step ChunkedDecoder::advance(const char* const p, const size_t n) {
  size_t i = 0;
  while (i < n) {
    if (st_ == St::Data) {
      const size_t avail = n - i;
      const size_t take = remaining_ < avail ? static_cast<size_t>(remaining_) : avail;
      out_ += take;
      remaining_ -= take;
      if (remaining_ == 0) st_ = St::DataCr;
      return {i + take, i, take};
    }

    const auto c = static_cast<unsigned char>(p[i]);
    ++i;

    if (st_ >= St::TrailerStart && st_ <= St::FinalLf) {
      if (++trailer_bytes_ > limits_.max_trailer_bytes)
        return fail(i, Status::HeaderFieldsTooLarge, "trailer section too large");
    }
    if (c == '\n' && st_ != St::SizeLf && st_ != St::DataLf && st_ != St::TrailerLf &&
        st_ != St::FinalLf)
      return fail(i, Status::BadRequest, "bare LF in chunked framing");

    switch (st_) {
      case St::SizeFirst: {
        const int v = hex_value(c);
        if (v < 0) return fail(i, Status::BadRequest, "invalid chunk size");
        size_ = static_cast<uint64_t>(v);
        digits_ = 1;
        st_ = St::Size;
        if (size_ > limits_.max_body - out_)
          return fail(i, Status::ContentTooLarge, "chunked body too large");
        break;
      }
      case St::Size: {
        const int v = hex_value(c);
        if (v >= 0) {
          if (++digits_ > 16) return fail(i, Status::BadRequest, kTooManyDigits);
          size_ = size_ * 16 + static_cast<uint64_t>(v);
          if (size_ > kMaxChunkSize) return fail(i, Status::BadRequest, kSizeTooLarge);
          if (size_ > limits_.max_body - out_)
            return fail(i, Status::ContentTooLarge, "chunked body too large");
          break;
        }
        if (c == ';') st_ = St::ExtBwsBeforeName;
        else if (is_ws(c)) st_ = St::SizeBws;
        else if (c == '\r') st_ = St::SizeLf;
        else return fail(i, Status::BadRequest, "invalid chunk size");
        break;
      }
      case St::SizeBws:
        if (c == ';') st_ = St::ExtBwsBeforeName;
        else if (!is_ws(c)) return fail(i, Status::BadRequest, "whitespace after chunk size");
        break;
      case St::ExtBwsBeforeName:
        if (is_tchar(c)) st_ = St::ExtName;
        else if (!is_ws(c)) return fail(i, Status::BadRequest, "invalid chunk extension");
        break;
      case St::ExtName:
        if (is_tchar(c)) break;
        if (c == '=') st_ = St::ExtBwsAfterEq;
        else if (c == ';') st_ = St::ExtBwsBeforeName;
        else if (is_ws(c)) st_ = St::ExtBwsAfterName;
        else if (c == '\r') st_ = St::SizeLf;
        else return fail(i, Status::BadRequest, "invalid chunk extension");
        break;
      case St::ExtBwsAfterName:
        if (c == '=') st_ = St::ExtBwsAfterEq;
        else if (c == ';') st_ = St::ExtBwsBeforeName;
        else if (!is_ws(c)) return fail(i, Status::BadRequest, "invalid chunk extension");
        break;
      case St::ExtBwsAfterEq:
        if (c == '"') st_ = St::ExtQuoted;
        else if (is_tchar(c)) st_ = St::ExtToken;
        else if (!is_ws(c)) return fail(i, Status::BadRequest, "invalid chunk extension value");
        break;
      case St::ExtToken:
        if (is_tchar(c)) break;
        if (c == ';') st_ = St::ExtBwsBeforeName;
        else if (is_ws(c)) st_ = St::ExtAfterValue;
        else if (c == '\r') st_ = St::SizeLf;
        else return fail(i, Status::BadRequest, "invalid chunk extension value");
        break;
      case St::ExtQuoted:
        if (c == '"') st_ = St::ExtAfterQuote;
        else if (c == '\\') st_ = St::ExtQuotedPair;
        else if (!is_qdtext(c)) return fail(i, Status::BadRequest, "invalid chunk extension value");
        break;
      case St::ExtQuotedPair:
        if (!(is_ws(c) || is_field_vchar(c)))
          return fail(i, Status::BadRequest, "invalid chunk extension value");
        st_ = St::ExtQuoted;
        break;
      case St::ExtAfterQuote:
        if (c == ';') st_ = St::ExtBwsBeforeName;
        else if (is_ws(c)) st_ = St::ExtAfterValue;
        else if (c == '\r') st_ = St::SizeLf;
        else return fail(i, Status::BadRequest, "invalid chunk extension");
        break;
      case St::ExtAfterValue:
        if (c == ';') st_ = St::ExtBwsBeforeName;
        else if (!is_ws(c)) return fail(i, Status::BadRequest, "invalid chunk extension");
        break;
      case St::SizeLf:
        if (c != '\n') return fail(i, Status::BadRequest, "CR without LF after chunk size");
        if (size_ == 0) {
          st_ = St::TrailerStart;
        } else {
          remaining_ = size_;
          st_ = St::Data;
        }
        size_ = 0;
        digits_ = 0;
        break;
      case St::Data:
        break;  // handled above
      case St::DataCr:
        if (c != '\r') return fail(i, Status::BadRequest, "missing CRLF after chunk data");
        st_ = St::DataLf;
        break;
      case St::DataLf:
        if (c != '\n') return fail(i, Status::BadRequest, "missing CRLF after chunk data");
        st_ = St::SizeFirst;
        break;
      case St::TrailerStart:
        if (c == '\r') {
          st_ = St::FinalLf;
        } else if (is_tchar(c)) {
          if (++trailer_fields_ > limits_.max_trailer_fields)
            return fail(i, Status::HeaderFieldsTooLarge, "too many trailer fields");
          st_ = St::TrailerName;
        } else if (is_ws(c)) {
          return fail(i, Status::BadRequest, "obsolete line folding in trailer");
        } else {
          return fail(i, Status::BadRequest, "invalid trailer field name");
        }
        break;
      case St::TrailerName:
        if (c == ':') st_ = St::TrailerOws;
        else if (!is_tchar(c)) return fail(i, Status::BadRequest, "invalid trailer field name");
        break;
      case St::TrailerOws:
      case St::TrailerValue:
        if (c == '\r') st_ = St::TrailerLf;
        else if (is_field_vchar(c)) st_ = St::TrailerValue;
        else if (!is_ws(c)) return fail(i, Status::BadRequest, "invalid trailer field value");
        break;
      case St::TrailerLf:
        if (c != '\n') return fail(i, Status::BadRequest, "CR without LF in trailer");
        st_ = St::TrailerStart;
        break;
      case St::FinalLf:
        if (c != '\n') return fail(i, Status::BadRequest, "CR without LF after trailer section");
        st_ = St::Done;
        return {i, 0, 0};
      case St::Done:
      case St::Failed:
        return {i, 0, 0};
    }

    if (st_ >= St::SizeBws && st_ <= St::ExtAfterValue) {
      if (++ext_bytes_ > limits_.max_ext_bytes)
        return fail(i, Status::BadRequest, kExtTooLong);
    }
  }
  return {i, 0, 0};
}

}  // namespace hs::http
