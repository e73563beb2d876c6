// The request bytes `homeserve bench` sends, built once at start-up: one
// request per URL (round-robin), laid out so that any run of up to `depth`
// consecutive requests, starting at any URL, is one contiguous slice. A batch
// of k requests is then a single write of window(first, k), with no copying
// or formatting per request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hs::client::bench {

struct RequestSpec {
  std::string method = "GET";
  std::string host;                  // the Host field value (unless headers hold one)
  std::vector<std::string> targets;  // origin-form request-targets, one per URL
  std::vector<std::string> headers;  // "Name: value" lines, added as given
  std::string body;                  // with Content-Length when not empty (or the method is POST/PUT)
};

class RequestSet {
public:
  // Builds the bytes; false with a reason on a malformed header line or method.
  bool build(const RequestSpec& spec, uint32_t depth, std::string& error);

  size_t count() const { return count_; }  // distinct requests (URLs)
  bool head() const { return head_; }      // HEAD: answers have no body
  // Requests first, first+1, ... (modulo count()), `n` of them (n <= depth).
  std::string_view window(size_t first, size_t n) const {
    return {bytes_.data() + offsets_[first], offsets_[first + n] - offsets_[first]};
  }
  size_t advance(size_t first, size_t n) const { return (first + n) % count_; }

private:
  std::string bytes_;
  std::vector<size_t> offsets_;  // count_ + depth_ entries
  size_t count_ = 0;
  uint32_t depth_ = 1;
  bool head_ = false;
};

}  // namespace hs::client::bench
