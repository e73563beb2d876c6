// Request head parser: one table row per case (raw bytes -> expected result).
// Every row is parsed whole, fed byte by byte with the returned `scanned`, and
// split at every byte, on every scan path the CPU supports, with the input
// ending right before an unreadable page; all results must be identical.
#include "http/request_head.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "http/scan_simd.hpp"

namespace hs::http {
namespace {

using namespace std::string_view_literals;

constexpr int kComplete = 0;
constexpr int kIncomplete = 1;

struct Row {
  const char* name;
  std::string_view raw;
  int status;  // kComplete, kIncomplete or the failure status
  // Checked on kComplete:
  Method method = Method::Get;
  std::string_view target = "/";
  Version version = Version::Http11;
  int headers = -1;  // -1: not checked
  BodyFraming framing = BodyFraming::None;
  uint64_t content_length = 0;
  int keep_alive = 1;  // -1: not checked
  bool expect_continue = false;
  const char* host = nullptr;  // nullptr: not checked
  size_t head_bytes = 0;       // 0: must be raw.size()
  // Limits for this row:
  size_t max_head = 16 * 1024;
  size_t max_target = 8 * 1024;
  size_t storage = 32;
};

#define RL "GET / HTTP/1.1\r\n"
#define HOST "Host: example.com\r\n"
#define H11(fields) RL HOST fields "\r\n"

const Row kRows[] = {
    // ---- accepted requests ----
    {.name = "minimal", .raw = H11(""), .status = kComplete, .headers = 1, .host = "example.com"},
    {.name = "curl", .raw = "GET /index.html HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
     .status = kComplete, .target = "/index.html", .headers = 3, .host = "localhost:8080"},
    {.name = "http10_no_host", .raw = "GET / HTTP/1.0\r\n\r\n", .status = kComplete, .version = Version::Http10,
     .headers = 0, .keep_alive = 0, .host = ""},
    {.name = "http10_keep_alive", .raw = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", .status = kComplete,
     .version = Version::Http10, .keep_alive = 1},
    {.name = "http10_keep_alive_and_close", .raw = "GET / HTTP/1.0\r\nConnection: Keep-Alive, close\r\n\r\n",
     .status = kComplete, .version = Version::Http10, .keep_alive = 0},
    {.name = "http11_close", .raw = H11("Connection: close\r\n"), .status = kComplete, .keep_alive = 0},
    {.name = "http11_close_wins", .raw = H11("Connection: Keep-Alive, CLOSE\r\n"), .status = kComplete, .keep_alive = 0},
    {.name = "connection_other_tokens", .raw = H11("Connection: upgrade, keep-alive\r\n"), .status = kComplete,
     .keep_alive = 1},
    {.name = "connection_empty_elements", .raw = H11("Connection: , close ,\r\n"), .status = kComplete, .keep_alive = 0},
    {.name = "connection_two_fields", .raw = H11("Connection: te\r\nConnection: close\r\n"), .status = kComplete,
     .keep_alive = 0},
    {.name = "method_head", .raw = "HEAD / HTTP/1.1\r\n" HOST "\r\n", .status = kComplete, .method = Method::Head},
    {.name = "method_post", .raw = "POST /f HTTP/1.1\r\n" HOST "Content-Length: 3\r\n\r\n", .status = kComplete,
     .method = Method::Post, .target = "/f", .framing = BodyFraming::ContentLength, .content_length = 3},
    {.name = "method_put", .raw = "PUT / HTTP/1.1\r\n" HOST "\r\n", .status = kComplete, .method = Method::Put},
    {.name = "method_delete", .raw = "DELETE / HTTP/1.1\r\n" HOST "\r\n", .status = kComplete, .method = Method::Delete},
    {.name = "method_options", .raw = "OPTIONS / HTTP/1.1\r\n" HOST "\r\n", .status = kComplete,
     .method = Method::Options},
    {.name = "method_patch", .raw = "PATCH / HTTP/1.1\r\n" HOST "\r\n", .status = kComplete, .method = Method::Patch},
    {.name = "method_trace", .raw = "TRACE / HTTP/1.1\r\n" HOST "\r\n", .status = kComplete, .method = Method::Trace},
    {.name = "method_unknown", .raw = "PROPFIND / HTTP/1.1\r\n" HOST "\r\n", .status = kComplete,
     .method = Method::Other},
    {.name = "method_case_sensitive", .raw = "get / HTTP/1.1\r\n" HOST "\r\n", .status = kComplete,
     .method = Method::Other},
    {.name = "method_token_chars", .raw = "M-!#$%&'*+.^_`|~9 / HTTP/1.1\r\n" HOST "\r\n", .status = kComplete,
     .method = Method::Other},
    {.name = "options_asterisk", .raw = "OPTIONS * HTTP/1.1\r\n" HOST "\r\n", .status = kComplete,
     .method = Method::Options, .target = "*"},
    {.name = "absolute_form", .raw = "GET http://example.org/x?y=1 HTTP/1.1\r\nHost: other\r\n\r\n",
     .status = kComplete, .target = "http://example.org/x?y=1", .host = "example.org"},
    {.name = "absolute_form_port_no_path", .raw = "GET https://example.org:8443 HTTP/1.1\r\nHost: a\r\n\r\n",
     .status = kComplete, .target = "https://example.org:8443", .host = "example.org:8443"},
    {.name = "origin_form_query", .raw = "GET /a/b?c=d&e=%20f;g HTTP/1.1\r\n" HOST "\r\n", .status = kComplete,
     .target = "/a/b?c=d&e=%20f;g"},
    {.name = "target_all_vchars", .raw = "GET /!$&'()*+,-.:;=?@[]_~{}|^`\\\"<> HTTP/1.1\r\n" HOST "\r\n",
     .status = kComplete, .target = "/!$&'()*+,-.:;=?@[]_~{}|^`\\\"<>"},
    {.name = "leading_crlf", .raw = "\r\n" H11(""), .status = kComplete},
    {.name = "leading_crlf_twice", .raw = "\r\n\r\n" H11(""), .status = kComplete},
    {.name = "content_length_zero", .raw = H11("Content-Length: 0\r\n"), .status = kComplete,
     .framing = BodyFraming::ContentLength, .content_length = 0},
    {.name = "content_length_leading_zeros", .raw = H11("Content-Length: 0042\r\n"), .status = kComplete,
     .framing = BodyFraming::ContentLength, .content_length = 42},
    {.name = "content_length_same_list", .raw = H11("Content-Length: 42 , 42\r\n"), .status = kComplete,
     .framing = BodyFraming::ContentLength, .content_length = 42},
    {.name = "content_length_same_twice", .raw = H11("Content-Length: 7\r\ncontent-length: 7\r\n"),
     .status = kComplete, .framing = BodyFraming::ContentLength, .content_length = 7},
    {.name = "content_length_ows", .raw = H11("Content-Length: \t 7 \t\r\n"), .status = kComplete,
     .framing = BodyFraming::ContentLength, .content_length = 7},
    {.name = "content_length_max", .raw = H11("Content-Length: 18446744073709551615\r\n"), .status = kComplete,
     .framing = BodyFraming::ContentLength, .content_length = 18446744073709551615u},
    {.name = "te_chunked", .raw = H11("Transfer-Encoding: chunked\r\n"), .status = kComplete,
     .framing = BodyFraming::Chunked},
    {.name = "te_chunked_case", .raw = H11("transfer-encoding:  CHUNKED  \r\n"), .status = kComplete,
     .framing = BodyFraming::Chunked},
    {.name = "expect_continue", .raw = H11("Expect: 100-continue\r\n"), .status = kComplete, .expect_continue = true},
    {.name = "expect_continue_case", .raw = H11("expect: 100-Continue\r\n"), .status = kComplete,
     .expect_continue = true},
    {.name = "expect_continue_http10_ignored", .raw = "GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
     .status = kComplete, .version = Version::Http10, .keep_alive = 0, .expect_continue = false},
    {.name = "host_ipv4_port", .raw = RL "Host: 192.168.1.10:8080\r\n\r\n", .status = kComplete,
     .host = "192.168.1.10:8080"},
    {.name = "host_ipv6", .raw = RL "Host: [2001:db8::1]\r\n\r\n", .status = kComplete, .host = "[2001:db8::1]"},
    {.name = "host_ipv6_port", .raw = RL "Host: [::1]:8080\r\n\r\n", .status = kComplete, .host = "[::1]:8080"},
    {.name = "host_ipv6_v4_tail", .raw = RL "Host: [::ffff:10.0.0.1]\r\n\r\n", .status = kComplete},
    {.name = "host_ipv6_full", .raw = RL "Host: [1:2:3:4:5:6:7:8]\r\n\r\n", .status = kComplete},
    {.name = "host_pct_subdelims", .raw = RL "Host: my%2Dhost_1~!$&'()*+,;=.lan:1\r\n\r\n", .status = kComplete},
    {.name = "host_port_max", .raw = RL "Host: localhost:65535\r\n\r\n", .status = kComplete},
    {.name = "host_empty", .raw = RL "Host:\r\n\r\n", .status = kComplete, .host = ""},
    {.name = "host_case", .raw = RL "hOsT: x\r\n\r\n", .status = kComplete, .host = "x"},
    {.name = "host_long", .raw = RL "Host: a-very-long-host-name.with.many.labels.example.org:443\r\n\r\n",
     .status = kComplete, .host = "a-very-long-host-name.with.many.labels.example.org:443"},
    {.name = "host_port_leading_zero", .raw = RL "Host: a:06553\r\n\r\n", .status = kComplete},
    {.name = "host_port_99999", .raw = RL "Host: a:99999\r\n\r\n", .status = 400},
    {.name = "host_port_space", .raw = RL "Host: a: 80\r\n\r\n", .status = 400},
    {.name = "host_two_colons", .raw = RL "Host: a:1:2\r\n\r\n", .status = 400},
    {.name = "utf8_two_byte", .raw = H11("X-Name: caf\xc3\xa9\r\n"), .status = kComplete},
    {.name = "utf8_three_byte", .raw = H11("X-Name: \xe2\x82\xac 5\r\n"), .status = kComplete},
    {.name = "utf8_four_byte", .raw = H11("X-Name: \xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\r\n"), .status = kComplete},
    {.name = "utf8_long_value",
     .raw = H11("X-Name: \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                "abcdefghijklmnopqrstuvwxyz0123456789\xe2\x82\xac\r\n"),
     .status = kComplete},
    {.name = "value_inner_ws_and_tab", .raw = H11("X: a \t b\r\n"), .status = kComplete},
    {.name = "value_empty", .raw = H11("X:\r\nY: \t\r\n"), .status = kComplete, .headers = 3},
    {.name = "field_name_token_chars", .raw = H11("X-!#$%&'*+.^_`|~: v\r\n"), .status = kComplete},
    {.name = "storage_exactly_full", .raw = H11("A: 1\r\nB: 2\r\n"), .status = kComplete, .headers = 3, .storage = 3},
    {.name = "target_at_limit", .raw = "GET /abcdefg HTTP/1.1\r\n" HOST "\r\n", .status = kComplete,
     .target = "/abcdefg", .max_target = 8},
    {.name = "head_at_limit", .raw = H11(""), .status = kComplete, .max_head = sizeof(H11("")) - 1},
    {.name = "trailing_bytes_after_head", .raw = H11("") "GET /next", .status = kComplete,
     .head_bytes = sizeof(H11("")) - 1},

    // ---- incomplete ----
    {.name = "incomplete_empty", .raw = "", .status = kIncomplete},
    {.name = "incomplete_crlf_only", .raw = "\r\n", .status = kIncomplete},
    {.name = "incomplete_request_line", .raw = "GET /index.ht", .status = kIncomplete},
    {.name = "incomplete_version", .raw = "GET / HTTP/1.", .status = kIncomplete},
    {.name = "incomplete_fields", .raw = RL HOST, .status = kIncomplete},
    {.name = "incomplete_final_cr", .raw = RL HOST "\r", .status = kIncomplete},
    {.name = "incomplete_utf8", .raw = RL "X: \xe2\x82", .status = kIncomplete},

    // ---- request line ----
    {.name = "method_invalid_char", .raw = "GE(T / HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "method_tab_separator", .raw = "GET\t/ HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "method_empty", .raw = " / HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "method_non_ascii", .raw = "G\xc3\x89T / HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "two_spaces_before_target", .raw = "GET  / HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "two_spaces_before_version", .raw = "GET /  HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_space", .raw = "GET /a b HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_ctl", .raw = "GET /a\x01 HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_tab", .raw = "GET /a\tb HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_nul", .raw = "GET /a\0b HTTP/1.1\r\nHost: e\r\n\r\n"sv, .status = 400},
    {.name = "target_non_ascii", .raw = "GET /caf\xc3\xa9 HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_del", .raw = "GET /a\x7f HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_fragment", .raw = "GET /a#frag HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_authority_form", .raw = "GET example.com:80 HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_relative", .raw = "GET index.html HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_asterisk_get", .raw = "GET * HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_absolute_userinfo", .raw = "GET http://user@host/ HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_absolute_no_slashes", .raw = "GET http:/x HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "target_absolute_empty_host", .raw = "GET http:///x HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "connect_authority", .raw = "CONNECT example.com:443 HTTP/1.1\r\n" HOST "\r\n", .status = 501},
    {.name = "connect_early", .raw = "CONNECT example.com:443 ", .status = 501},
    {.name = "missing_version", .raw = "GET /\r\n" HOST "\r\n", .status = 400},
    {.name = "version_http2", .raw = "GET / HTTP/2.0\r\n" HOST "\r\n", .status = 505},
    {.name = "version_http12", .raw = "GET / HTTP/1.2\r\n" HOST "\r\n", .status = 505},
    {.name = "version_http09", .raw = "GET / HTTP/0.9\r\n" HOST "\r\n", .status = 505},
    {.name = "version_two_digit_minor", .raw = "GET / HTTP/1.10\r\n" HOST "\r\n", .status = 400},
    {.name = "version_lowercase", .raw = "GET / http/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "version_no_minor", .raw = "GET / HTTP/1\r\n" HOST "\r\n", .status = 400},
    {.name = "version_trailing_space", .raw = "GET / HTTP/1.1 \r\n" HOST "\r\n", .status = 400},
    {.name = "version_letters", .raw = "GET / HTTP/a.b\r\n" HOST "\r\n", .status = 400},
    {.name = "request_line_bare_lf", .raw = "GET / HTTP/1.1\n" HOST "\r\n", .status = 400},
    {.name = "request_line_bare_cr", .raw = "GET / HTTP/1.1\rHost: a\r\n\r\n", .status = 400},
    {.name = "leading_bare_lf", .raw = "\nGET / HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "leading_bare_cr", .raw = "\rGET / HTTP/1.1\r\n" HOST "\r\n", .status = 400},
    {.name = "tls_handshake", .raw = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"sv, .status = 400},

    // ---- field syntax ----
    {.name = "name_space_inside", .raw = H11("Ho st: x\r\n"), .status = 400},
    {.name = "name_space_before_colon", .raw = RL "Host : example.com\r\n\r\n", .status = 400},
    {.name = "te_space_before_colon", .raw = H11("Transfer-Encoding : chunked\r\n"), .status = 400},
    {.name = "name_tab_before_colon", .raw = H11("X\t: v\r\n"), .status = 400},
    {.name = "name_empty", .raw = H11(": v\r\n"), .status = 400},
    {.name = "name_non_ascii", .raw = H11("X-\xc3\xa9: v\r\n"), .status = 400},
    {.name = "name_separator", .raw = H11("Bad[name]: v\r\n"), .status = 400},
    {.name = "name_no_colon", .raw = H11("NoColon\r\n"), .status = 400},
    {.name = "obs_fold", .raw = H11("X: a\r\n  b\r\n"), .status = 400},
    {.name = "obs_fold_tab", .raw = H11("X: a\r\n\tb\r\n"), .status = 400},
    {.name = "obs_fold_first_line", .raw = RL " Host: x\r\n" HOST "\r\n", .status = 400},
    {.name = "te_obs_fold", .raw = H11("Transfer-Encoding:\r\n chunked\r\n"), .status = 400},
    {.name = "value_nul", .raw = RL "Host: e\r\nX: a\0b\r\n\r\n"sv, .status = 400},
    {.name = "value_cr_inside", .raw = H11("X: a\rb\r\n"), .status = 400},
    {.name = "value_lf_inside", .raw = H11("X: a\nb\r\n"), .status = 400},
    {.name = "value_vtab", .raw = H11("X: a\x0b\r\n"), .status = 400},
    {.name = "value_ctl", .raw = H11("X: \x01\r\n"), .status = 400},
    {.name = "value_esc_in_long", .raw = H11("X: 0123456789012345678901234567890123456789\x1b\r\n"), .status = 400},
    {.name = "value_del", .raw = H11("X: a\x7f\r\n"), .status = 400},
    {.name = "te_chunked_vtab", .raw = H11("Transfer-Encoding: chunked\x0b\r\n"), .status = 400},
    {.name = "utf8_latin1", .raw = H11("X: caf\xe9\r\n"), .status = 400},
    {.name = "utf8_lone_continuation", .raw = H11("X: \x80\r\n"), .status = 400},
    {.name = "utf8_overlong_2", .raw = H11("X: \xc0\xaf\r\n"), .status = 400},
    {.name = "utf8_overlong_3", .raw = H11("X: \xe0\x80\xaf\r\n"), .status = 400},
    {.name = "utf8_overlong_4", .raw = H11("X: \xf0\x80\x80\xaf\r\n"), .status = 400},
    {.name = "utf8_surrogate", .raw = H11("X: \xed\xa0\x80\r\n"), .status = 400},
    {.name = "utf8_above_max", .raw = H11("X: \xf4\x90\x80\x80\r\n"), .status = 400},
    {.name = "utf8_f5", .raw = H11("X: \xf5\x80\x80\x80\r\n"), .status = 400},
    {.name = "utf8_truncated", .raw = H11("X: \xe2\x82\r\n"), .status = 400},
    {.name = "bare_lf_after_field", .raw = RL "Host: a\n\r\n\r\n", .status = 400},
    // A field-section error counts once the end of head is in the buffer.
    {.name = "field_error_waits_for_end", .raw = RL "Host: a\nX: b\r\n", .status = kIncomplete},
    {.name = "field_error_waits_for_end_nul", .raw = RL "X: \0\r\n"sv, .status = kIncomplete},
    {.name = "bare_lf_end", .raw = RL "Host: a\r\n\n\r\n\r\n", .status = 400},
    {.name = "bare_lf_everywhere", .raw = "GET / HTTP/1.1\nHost: a\n\n", .status = 400},
    {.name = "bare_cr_after_field", .raw = RL "Host: a\r\r\n\r\n", .status = 400},
    {.name = "bare_cr_end", .raw = RL "Host: a\r\n\rX\r\n\r\n", .status = 400},

    // ---- Content-Length ----
    {.name = "cl_letters", .raw = H11("Content-Length: abc\r\n"), .status = 400},
    {.name = "cl_negative", .raw = H11("Content-Length: -1\r\n"), .status = 400},
    {.name = "cl_plus", .raw = H11("Content-Length: +1\r\n"), .status = 400},
    {.name = "cl_decimal", .raw = H11("Content-Length: 1.5\r\n"), .status = 400},
    {.name = "cl_hex", .raw = H11("Content-Length: 0x10\r\n"), .status = 400},
    {.name = "cl_inner_space", .raw = H11("Content-Length: 1 2\r\n"), .status = 400},
    {.name = "cl_empty", .raw = H11("Content-Length:\r\n"), .status = 400},
    {.name = "cl_overflow", .raw = H11("Content-Length: 18446744073709551616\r\n"), .status = 400},
    {.name = "cl_overflow_long", .raw = H11("Content-Length: 99999999999999999999999\r\n"), .status = 400},
    {.name = "cl_two_fields_differ", .raw = H11("Content-Length: 1\r\nContent-Length: 2\r\n"), .status = 400},
    {.name = "cl_list_differ", .raw = H11("Content-Length: 1, 2\r\n"), .status = 400},
    {.name = "cl_list_empty_element", .raw = H11("Content-Length: 1,,1\r\n"), .status = 400},
    {.name = "cl_list_trailing_comma", .raw = H11("Content-Length: 1,\r\n"), .status = 400},
    {.name = "cl_then_te", .raw = H11("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), .status = 400},
    {.name = "te_then_cl", .raw = H11("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), .status = 400},

    // ---- Transfer-Encoding ----
    {.name = "te_chunked_twice_list", .raw = H11("Transfer-Encoding: chunked, chunked\r\n"), .status = 400},
    {.name = "te_chunked_twice_fields", .raw = H11("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
     .status = 400},
    {.name = "te_xchunked", .raw = H11("Transfer-Encoding: xchunked\r\n"), .status = 400},
    {.name = "te_chunked_suffix", .raw = H11("Transfer-Encoding: chunkedx\r\n"), .status = 400},
    {.name = "te_gzip_only", .raw = H11("Transfer-Encoding: gzip\r\n"), .status = 400},
    {.name = "te_chunked_not_last", .raw = H11("Transfer-Encoding: chunked, gzip\r\n"), .status = 400},
    {.name = "te_empty", .raw = H11("Transfer-Encoding:\r\n"), .status = 400},
    {.name = "te_leading_comma", .raw = H11("Transfer-Encoding: ,chunked\r\n"), .status = 400},
    {.name = "te_trailing_comma", .raw = H11("Transfer-Encoding: chunked,\r\n"), .status = 400},
    {.name = "te_chunked_param", .raw = H11("Transfer-Encoding: chunked;a=b\r\n"), .status = 400},
    {.name = "te_quoted_coding", .raw = H11("Transfer-Encoding: \"chunked\"\r\n"), .status = 400},
    {.name = "te_gzip_chunked", .raw = H11("Transfer-Encoding: gzip, chunked\r\n"), .status = 501},
    {.name = "te_param_then_chunked", .raw = H11("Transfer-Encoding: gzip;q=\"1\" , chunked\r\n"), .status = 501},
    {.name = "te_split_fields_gzip_chunked", .raw = H11("Transfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n"),
     .status = 501},
    {.name = "te_bad_param", .raw = H11("Transfer-Encoding: gzip;q, chunked\r\n"), .status = 400},
    {.name = "te_http10", .raw = "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .status = 400},

    // ---- Host ----
    {.name = "host_missing", .raw = RL "\r\n", .status = 400},
    {.name = "host_missing_with_fields", .raw = RL "Accept: */*\r\n\r\n", .status = 400},
    {.name = "host_twice", .raw = H11("Host: example.com\r\n"), .status = 400},
    {.name = "host_space", .raw = RL "Host: a b\r\n\r\n", .status = 400},
    {.name = "host_port_letters", .raw = RL "Host: a:b\r\n\r\n", .status = 400},
    {.name = "host_port_empty", .raw = RL "Host: a:\r\n\r\n", .status = 400},
    {.name = "host_port_too_long", .raw = RL "Host: a:123456\r\n\r\n", .status = 400},
    {.name = "host_port_too_big", .raw = RL "Host: a:65536\r\n\r\n", .status = 400},
    {.name = "host_ipv6_unclosed", .raw = RL "Host: [::1\r\n\r\n", .status = 400},
    {.name = "host_ipv6_two_compressions", .raw = RL "Host: [1::2::3]\r\n\r\n", .status = 400},
    {.name = "host_ipv6_too_many_groups", .raw = RL "Host: [1:2:3:4:5:6:7:8:9]\r\n\r\n", .status = 400},
    {.name = "host_ipv6_bad_v4", .raw = RL "Host: [::1.2.3.256]\r\n\r\n", .status = 400},
    {.name = "host_ipv6_junk_after", .raw = RL "Host: [::1]x\r\n\r\n", .status = 400},
    {.name = "host_userinfo", .raw = RL "Host: user@a\r\n\r\n", .status = 400},
    {.name = "host_slash", .raw = RL "Host: a/b\r\n\r\n", .status = 400},
    {.name = "host_port_only", .raw = RL "Host: :80\r\n\r\n", .status = 400},
    {.name = "host_bad_pct", .raw = RL "Host: a%zz\r\n\r\n", .status = 400},
    {.name = "host_utf8", .raw = RL "Host: caf\xc3\xa9\r\n\r\n", .status = 400},

    // ---- Expect and Connection ----
    {.name = "expect_unknown", .raw = H11("Expect: foo\r\n"), .status = 417},
    {.name = "expect_mixed", .raw = H11("Expect: 100-continue, foo\r\n"), .status = 417},
    {.name = "expect_empty", .raw = H11("Expect:\r\n"), .status = 417},
    {.name = "connection_malformed", .raw = H11("Connection: close;x\r\n"), .status = 400},

    // ---- limits ----
    {.name = "target_over_limit", .raw = "GET /abcdefgh HTTP/1.1\r\n" HOST "\r\n", .status = 414, .max_target = 8},
    {.name = "target_over_limit_early", .raw = "GET /abcdefgh", .status = 414, .max_target = 8},
    {.name = "head_over_limit", .raw = H11("X: 1\r\n"), .status = 431, .max_head = 30},
    {.name = "head_one_over_limit", .raw = H11(""), .status = 431, .max_head = sizeof(H11("")) - 2},
    {.name = "head_limit_incomplete", .raw = RL HOST "X: 0123456789", .status = 431, .max_head = 40},
    {.name = "head_limit_counts_leading_crlf", .raw = "\r\n\r\n" H11(""), .status = 431,
     .max_head = sizeof(H11("")) + 2},
    {.name = "error_before_head_limit", .raw = RL "Bad Name: x\r\n" HOST "\r\n", .status = 400, .max_head = 40},
    {.name = "too_many_fields", .raw = H11("A: 1\r\nB: 2\r\nC: 3\r\n"), .status = 431, .storage = 3},
    {.name = "too_many_fields_zero_storage", .raw = H11(""), .status = 431, .storage = 0},
};

// Everything a result says, copied out of the buffer so runs can be compared.
struct Outcome {
  ParseState state{};
  int status = 0;
  std::string reason;
  Method method{};
  std::string method_token, target, host;
  Version version{};
  std::vector<std::pair<std::string, std::string>> headers;
  BodyFraming framing{};
  uint64_t content_length = 0;
  bool keep_alive = false, expect_continue = false;
  size_t head_bytes = 0;
  bool operator==(const Outcome&) const = default;
};

void PrintTo(const Outcome& o, std::ostream* os) {
  static const char* const kStates[] = {"Complete", "Incomplete", "Failed"};
  *os << kStates[static_cast<int>(o.state)];
  if (o.state == ParseState::Failed) *os << " " << o.status << " (" << o.reason << ")";
  if (o.state != ParseState::Complete) return;
  *os << " method=" << o.method_token << " target=" << o.target << " host=" << o.host
      << " headers=" << o.headers.size() << " framing=" << static_cast<int>(o.framing)
      << " cl=" << o.content_length << " keep_alive=" << o.keep_alive << " head_bytes=" << o.head_bytes;
}

void PrintTo(const Row& r, std::ostream* os) { *os << r.name; }

bool inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

Outcome capture(const HeadResult& r, const RequestHead& h, std::string_view buf) {
  Outcome o;
  o.state = r.state;
  o.status = code(r.error.status);
  o.reason = std::string(r.error.reason);
  if (r.state != ParseState::Complete) return o;
  o.method = h.method;
  o.method_token = std::string(h.method_token);
  o.target = std::string(h.target);
  o.host = std::string(h.host);
  o.version = h.version;
  for (const Header& f : h.headers) {
    EXPECT_TRUE(inside(f.name, buf) && inside(f.value, buf));
    o.headers.emplace_back(std::string(f.name), std::string(f.value));
  }
  EXPECT_TRUE(inside(h.method_token, buf) && inside(h.target, buf) && inside(h.host, buf));
  EXPECT_LE(h.head_bytes, buf.size());
  EXPECT_EQ(r.scanned, h.head_bytes);
  o.framing = h.framing;
  o.content_length = h.content_length;
  o.keep_alive = h.keep_alive;
  o.expect_continue = h.expect_continue;
  o.head_bytes = h.head_bytes;
  return o;
}

// Places bytes so that they end right before a PROT_NONE page.
class GuardedBuffer {
public:
  GuardedBuffer() {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_ = 16 * page_;
    void* m = mmap(nullptr, size_ + page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) std::abort();
    mem_ = static_cast<char*>(m);
    mprotect(mem_ + size_, page_, PROT_NONE);
  }
  ~GuardedBuffer() { munmap(mem_, size_ + page_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  std::string_view place(std::string_view bytes) {
    if (bytes.size() > size_) std::abort();
    char* p = mem_ + size_ - bytes.size();
    if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
    return {p, bytes.size()};
  }

private:
  size_t page_ = 0, size_ = 0;
  char* mem_ = nullptr;
};

struct Runner {
  const Row& row;
  GuardedBuffer guard;
  std::vector<Header> storage;
  HeadLimits limits;

  explicit Runner(const Row& r) : row(r), storage(r.storage) {
    limits.max_head_bytes = r.max_head;
    limits.max_target_bytes = r.max_target;
  }

  Outcome call(std::string_view bytes, size_t scanned, size_t* scanned_out = nullptr) {
    const std::string_view buf = guard.place(bytes);
    RequestHead head;
    const HeadResult r = parse_request_head(buf, scanned, head, storage, limits);
    if (r.state == ParseState::Failed) {
      EXPECT_GE(code(r.error.status), 400);
    }
    if (r.state == ParseState::Incomplete) {
      EXPECT_LE(r.scanned, buf.size());
    }
    if (scanned_out) *scanned_out = r.scanned;
    return capture(r, head, buf);
  }

  Outcome whole() { return call(row.raw, 0); }

  // Growing prefixes, one byte at a time, passing `scanned` along.
  Outcome byte_by_byte() {
    size_t scanned = 0;
    Outcome last = call(row.raw.substr(0, 0), 0, &scanned);
    for (size_t k = 1; k <= row.raw.size() && last.state == ParseState::Incomplete; ++k)
      last = call(row.raw.substr(0, k), scanned, &scanned);
    return last;
  }

  // First the prefix of length k, then the whole input with the returned `scanned`.
  Outcome split_at(size_t k) {
    size_t scanned = 0;
    Outcome first = call(row.raw.substr(0, k), 0, &scanned);
    if (first.state != ParseState::Incomplete) return first;
    return call(row.raw, scanned);
  }
};

std::vector<ScanPath> supported_paths() {
  std::vector<ScanPath> out;
  for (ScanPath p : {ScanPath::Portable, ScanPath::Sse42, ScanPath::Avx2})
    if (scan_path_supported(p)) out.push_back(p);
  return out;
}

class RequestHeadRow : public ::testing::TestWithParam<Row> {};

TEST_P(RequestHeadRow, Parses) {
  const Row& row = GetParam();
  const ScanPath saved = active_scan_path();
  Runner runner(row);
  bool have_reference = false;
  Outcome reference;
  for (ScanPath path : supported_paths()) {
    SCOPED_TRACE(scan_path_name(path));
    ASSERT_TRUE(set_scan_path(path));
    const Outcome o = runner.whole();

    // Against the row.
    if (row.status == kComplete) {
      ASSERT_EQ(o.state, ParseState::Complete) << o.status << " " << o.reason;
      EXPECT_EQ(o.method, row.method);
      EXPECT_EQ(o.target, row.target);
      EXPECT_EQ(o.version, row.version);
      if (row.headers >= 0) {
        EXPECT_EQ(o.headers.size(), static_cast<size_t>(row.headers));
      }
      EXPECT_EQ(o.framing, row.framing);
      EXPECT_EQ(o.content_length, row.content_length);
      if (row.keep_alive >= 0) {
        EXPECT_EQ(o.keep_alive, row.keep_alive == 1);
      }
      EXPECT_EQ(o.expect_continue, row.expect_continue);
      if (row.host) {
        EXPECT_EQ(o.host, row.host);
      }
      EXPECT_EQ(o.head_bytes, row.head_bytes ? row.head_bytes : row.raw.size());
    } else if (row.status == kIncomplete) {
      EXPECT_EQ(o.state, ParseState::Incomplete) << o.status << " " << o.reason;
    } else {
      EXPECT_EQ(o.state, ParseState::Failed);
      EXPECT_EQ(o.status, row.status) << o.reason;
      EXPECT_FALSE(o.reason.empty());
    }

    // Whole vs. incremental vs. other paths.
    EXPECT_EQ(runner.byte_by_byte(), o) << "byte by byte";
    for (size_t k = 0; k <= row.raw.size(); ++k) ASSERT_EQ(runner.split_at(k), o) << "split at " << k;
    if (!have_reference) {
      reference = o;
      have_reference = true;
    } else {
      EXPECT_EQ(o, reference) << "differs from the portable path";
    }
  }
  set_scan_path(saved);
}

// The same rows behind 24 leading empty lines (skipped by the parser): every
// input is then long enough for the SIMD paths' 64-byte mask windows and
// backward loads, which short inputs never reach. The head limit grows by the
// 48 padding bytes, so limit rows keep their meaning.
TEST_P(RequestHeadRow, SameBehindLeadingEmptyLines) {
  const Row& row = GetParam();
  std::string padded;
  for (int i = 0; i < 24; ++i) padded += "\r\n";
  padded += row.raw;
  Row shifted = row;
  shifted.raw = padded;
  shifted.max_head = row.max_head + 48;  // the skipped empty lines count toward the limit
  const ScanPath saved = active_scan_path();
  for (ScanPath path : supported_paths()) {
    SCOPED_TRACE(scan_path_name(path));
    ASSERT_TRUE(set_scan_path(path));
    Runner plain(row);
    Runner runner(shifted);
    Outcome expected = plain.whole();
    if (expected.state == ParseState::Complete) expected.head_bytes += 48;
    EXPECT_EQ(runner.whole(), expected);
    EXPECT_EQ(runner.byte_by_byte(), expected);
    for (size_t k = 0; k <= shifted.raw.size(); k += 7) ASSERT_EQ(runner.split_at(k), expected) << "split at " << k;
  }
  set_scan_path(saved);
}

std::string row_name(const ::testing::TestParamInfo<Row>& info) {
  std::string s = info.param.name;
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Rows, RequestHeadRow, ::testing::ValuesIn(kRows), row_name);

TEST(RequestHead, HasManyRows) { EXPECT_GE(std::size(kRows), 110u); }

TEST(RequestHead, HeaderLookupIsCaseInsensitiveAndFirstWins) {
  const std::string_view raw = "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nAccept:  */* \r\n\r\n";
  Header storage[8];
  RequestHead head;
  const HeadResult r = parse_request_head(raw, 0, head, storage, HeadLimits{});
  ASSERT_EQ(r.state, ParseState::Complete);
  EXPECT_EQ(head.header("x-A"), "1");
  EXPECT_EQ(head.header("ACCEPT"), "*/*");
  EXPECT_EQ(head.header("missing"), "");
  EXPECT_EQ(head.headers.size(), 4u);
  EXPECT_EQ(head.headers.data(), storage);
}

// A long head arriving in pieces: `scanned` moves forward and the end is found.
TEST(RequestHead, ScannedAdvancesOverLongHead) {
  std::string raw = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 200; ++i) raw += "X-Field-" + std::to_string(i) + ": some value here\r\n";
  raw += "\r\n";
  std::vector<Header> storage(256);
  for (ScanPath path : supported_paths()) {
    ASSERT_TRUE(set_scan_path(path));
    RequestHead head;
    size_t scanned = 0;
    HeadResult r;
    for (size_t len = 100; len < raw.size(); len += 100) {
      r = parse_request_head(std::string_view(raw).substr(0, len), scanned, head, storage, HeadLimits{});
      ASSERT_EQ(r.state, ParseState::Incomplete);
      EXPECT_GE(r.scanned, scanned);
      EXPECT_EQ(r.scanned, len);
      scanned = r.scanned;
    }
    r = parse_request_head(raw, scanned, head, storage, HeadLimits{});
    ASSERT_EQ(r.state, ParseState::Complete);
    EXPECT_EQ(head.headers.size(), 201u);
    EXPECT_EQ(head.header("X-Field-199"), "some value here");
  }
}

TEST(RequestHead, DefaultLimitsGive414And431) {
  Header storage[4];
  RequestHead head;
  const std::string long_target = "GET /" + std::string(8 * 1024, 'a');
  HeadResult r = parse_request_head(long_target, 0, head, storage, HeadLimits{});
  EXPECT_EQ(r.state, ParseState::Failed);
  EXPECT_EQ(r.error.status, Status::UriTooLong);
  const std::string long_head = "GET / HTTP/1.1\r\nX: " + std::string(16 * 1024, 'a');
  r = parse_request_head(long_head, 0, head, storage, HeadLimits{});
  EXPECT_EQ(r.error.status, Status::HeaderFieldsTooLarge);
}

TEST(RequestHead, PathSelection) {
  EXPECT_TRUE(scan_path_supported(ScanPath::Portable));
  const ScanPath saved = active_scan_path();
  EXPECT_TRUE(set_scan_path(ScanPath::Portable));
  EXPECT_EQ(active_scan_path(), ScanPath::Portable);
  EXPECT_TRUE(set_scan_path(saved));
  EXPECT_STREQ(scan_path_name(ScanPath::Avx2), "avx2");
}

}  // namespace
}  // namespace hs::http
