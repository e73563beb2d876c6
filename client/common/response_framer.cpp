#include "client/common/response_framer.hpp"

#include "http/char_classes.hpp"
#include "http/media_type.hpp"

namespace hs::client {

namespace {

using Event = ResponseFramer::Event;

using http::chars::is_digit;
using http::chars::lower;

using http::chars::is_tchar;
using http::chars::trim_ows;
using http::media_iequals;

// Calls f(element) for each non-empty element of a comma-separated list.
template <typename F>
void each_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = trim_ows(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

const char* to_string(FrameErrc kind) {
  switch (kind) {
    case FrameErrc::none: return "none";
    case FrameErrc::bad_status_line: return "bad status line";
    case FrameErrc::bad_framing: return "bad framing";
    case FrameErrc::too_large: return "too large";
    case FrameErrc::truncated: return "truncated";
  }
  return "?";
}

ResponseFramer::Step ResponseFramer::fail(FrameErrc kind, const char* reason) {
  state_ = State::failed;
  error_ = {kind, reason};
  return {Event::error, 0, {}};
}

ResponseFramer::Step ResponseFramer::complete(size_t consumed, std::string_view last) {
  state_ = State::head;
  scanned_ = 0;
  if (info_.status >= 200) head_request_ = false;  // a 1xx precedes the real answer
  return {Event::complete, consumed, last};
}

ResponseFramer::Step ResponseFramer::feed(std::string_view in) {
  switch (state_) {
    case State::failed:
      return {Event::error, 0, {}};
    case State::head:
      return parse_head(in);
    case State::length_body: {
      const size_t n = remaining_ < in.size() ? static_cast<size_t>(remaining_) : in.size();
      remaining_ -= n;
      info_.body_bytes += n;
      if (remaining_ == 0) return complete(n, in.substr(0, n));
      if (n == 0) return {Event::need_more, 0, {}};
      return {Event::body, n, in.substr(0, n)};
    }
    case State::close_body:
      if (in.empty()) return {Event::need_more, 0, {}};
      if (info_.body_bytes + in.size() > limits_.max_body)
        return fail(FrameErrc::too_large, "body (until close) above the limit");
      info_.body_bytes += in.size();
      return {Event::body, in.size(), in};
    case State::chunked_body:
      return chunked(in);
  }
  return fail(FrameErrc::bad_framing, "internal state");
}

ResponseFramer::Step ResponseFramer::finish(size_t pending) {
  switch (state_) {
    case State::failed:
      return {Event::error, 0, {}};
    case State::close_body:
      return complete(0);
    case State::head:
      if (scanned_ == 0 && pending == 0) return {Event::need_more, 0, {}};
      return fail(FrameErrc::truncated, "the stream ended inside a response head");
    default:
      return fail(FrameErrc::truncated, "the stream ended inside a response body");
  }
}

ResponseFramer::Step ResponseFramer::parse_head(std::string_view in) {
  if (scanned_ == 0) {
    // A new response: forget the previous one (head_request_ is set between).
    info_ = ResponseInfo{};
    length_seen_ = te_seen_ = te_chunked_ = keep_alive_ = false;
    // Fail early on bytes that cannot start a status line.
    const size_t n = in.size() < 5 ? in.size() : 5;
    if (in.substr(0, n) != std::string_view("HTTP/").substr(0, n))
      return fail(FrameErrc::bad_status_line, "the response does not start with HTTP/");
  }
  size_t pos = scanned_;
  for (;;) {
    const size_t nl = in.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (in.size() > limits_.max_head) return fail(FrameErrc::too_large, "response head above the limit");
      return {Event::need_more, 0, {}};
    }
    if (nl + 1 > limits_.max_head) return fail(FrameErrc::too_large, "response head above the limit");
    std::string_view line = in.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (pos == 0) {
      if (!status_line(line)) return fail(FrameErrc::bad_status_line, "expected HTTP/1.x NNN reason");
    } else if (line.empty()) {
      scanned_ = 0;
      return after_head(nl + 1);
    } else if (!field_line(line)) {
      return {Event::error, 0, {}};  // field_line set the error
    }
    pos = nl + 1;
    scanned_ = pos;
  }
}

bool ResponseFramer::status_line(std::string_view line) {
  // HTTP/1.x SP 3DIGIT [SP reason]
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !is_digit(line[7]) || line[8] != ' ') return false;
  if (!is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) || line[9] == '0') return false;
  if (line.size() > 12 && line[12] != ' ') return false;
  for (size_t i = 12; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  info_.minor_version = line[7] - '0';
  info_.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  return true;
}

bool ResponseFramer::field_line(std::string_view line) {
  const size_t colon = line.find(':');
  if (line.front() == ' ' || line.front() == '\t') {
    fail(FrameErrc::bad_framing, "obsolete line folding in the response head");
    return false;
  }
  if (colon == std::string_view::npos || colon == 0) {
    fail(FrameErrc::bad_framing, "a response field line without a name and ':'");
    return false;
  }
  const std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!is_tchar(c)) {
      fail(FrameErrc::bad_framing, "a response field name with a character outside token");
      return false;
    }
  }
  const std::string_view value = trim_ows(line.substr(colon + 1));
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      fail(FrameErrc::bad_framing, "a control character in a response field value");
      return false;
    }
  }
  if (media_iequals(name, "content-length")) {
    if (value.empty()) {
      fail(FrameErrc::bad_framing, "an empty Content-Length");
      return false;
    }
    uint64_t v = 0;
    for (char c : value) {
      if (!is_digit(c)) {
        fail(FrameErrc::bad_framing, "Content-Length is not a number");
        return false;
      }
      v = v * 10 + static_cast<uint64_t>(c - '0');
      if (v > limits_.max_body || v > (uint64_t{1} << 62)) {  // checked every digit: no overflow
        fail(FrameErrc::too_large, "Content-Length above the body limit");
        return false;
      }
    }
    if (length_seen_ && v != info_.content_length) {
      fail(FrameErrc::bad_framing, "two different Content-Length values");
      return false;
    }
    length_seen_ = true;
    info_.content_length = v;
  } else if (media_iequals(name, "transfer-encoding")) {
    each_element(value, [&](std::string_view coding) {
      te_seen_ = true;
      te_chunked_ = media_iequals(coding, "chunked");
    });
  } else if (media_iequals(name, "connection")) {
    each_element(value, [&](std::string_view option) {
      if (media_iequals(option, "close")) info_.close = true;
      if (media_iequals(option, "keep-alive")) keep_alive_ = true;
    });
  }
  return true;
}

ResponseFramer::Step ResponseFramer::after_head(size_t consumed) {
  info_.head_bytes = consumed;
  if (info_.minor_version == 0 && !keep_alive_) info_.close = true;
  const int s = info_.status;
  if (s < 200 || s == 204 || s == 304 || head_request_) {
    info_.body = BodyKind::none;
    return complete(consumed);
  }
  if (te_seen_) {
    if (te_chunked_) {
      info_.body = BodyKind::chunked;
      state_ = State::chunked_body;
      http::ChunkedLimits cl;
      cl.max_body = limits_.max_body;
      cl.max_ext_bytes = limits_.max_head;
      cl.max_trailer_fields = limits_.max_head;
      cl.max_trailer_bytes = limits_.max_head;
      chunked_ = http::ChunkedDecoder(cl);
      return {Event::head, consumed, {}};
    }
    info_.body = BodyKind::until_close;
    info_.close = true;
    state_ = State::close_body;
    return {Event::head, consumed, {}};
  }
  if (length_seen_) {
    info_.body = BodyKind::length;
    if (info_.content_length == 0) return complete(consumed);
    remaining_ = info_.content_length;
    state_ = State::length_body;
    return {Event::head, consumed, {}};
  }
  info_.body = BodyKind::until_close;
  info_.close = true;
  state_ = State::close_body;
  return {Event::head, consumed, {}};
}

// The server's decoder, streamed: one piece of data (a view into `in`) a step.
ResponseFramer::Step ResponseFramer::chunked(std::string_view in) {
  const http::ChunkedPiece p = chunked_.next(in);
  info_.body_bytes = chunked_.decoded_size();
  switch (p.state) {
    case http::ChunkedState::Failed:  // reasons are static text
      return fail(chunked_.failed_on_size() ? FrameErrc::too_large : FrameErrc::bad_framing, p.error.reason.data());
    case http::ChunkedState::Done:
      return complete(p.consumed);
    case http::ChunkedState::NeedMore:
      break;
  }
  if (!p.data.empty()) return {Event::body, p.consumed, p.data};
  return {Event::need_more, p.consumed, {}};
}

}  // namespace hs::client
