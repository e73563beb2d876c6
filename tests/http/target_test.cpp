// Request-target rows: raw target -> status, decoded path, query, authority.
#include "http/target.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hs::http {
namespace {

using namespace std::string_literals;

struct Row {
  std::string target;
  Status status;             // None: accepted
  std::string path = "";     // decoded, normalised
  std::string query = "";
  std::string authority = "";
};

constexpr auto Ok = Status::None;
constexpr auto S400 = Status::BadRequest;

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      // ---- accepted: plain
      {"/", Ok, "/"},
      {"/index.html", Ok, "/index.html"},
      {"/a/b/c", Ok, "/a/b/c"},
      {"/a/b/", Ok, "/a/b/"},
      {"/a?x=1&y", Ok, "/a", "x=1&y"},
      {"/a?", Ok, "/a", ""},
      {"/?q=%zz", Ok, "/", "q=%zz"},      // the query stays raw
      {"/?a/b?c", Ok, "/", "a/b?c"},
      {"/~user/!$&'()*+,;=:@", Ok, "/~user/!$&'()*+,;=:@"},
      {"/a[b]{c}|^`", Ok, "/a[b]{c}|^`"},
      // ---- accepted: percent-decoding
      {"/a%20b", Ok, "/a b"},
      {"/%41%62", Ok, "/Ab"},
      {"/caf%C3%A9", Ok, "/caf\xc3\xa9"},
      {"/a%2525", Ok, "/a%25"},
      {"/%3F%23", Ok, "/?#"},
      // ---- accepted: dot segments and slashes
      {"/a/./b", Ok, "/a/b"},
      {"/a/b/../c", Ok, "/a/c"},
      {"/a/b/..", Ok, "/a/"},
      {"/a/.", Ok, "/a/"},
      {"/.", Ok, "/"},
      {"/./", Ok, "/"},
      {"/a/..", Ok, "/"},
      {"/a/b/../../c", Ok, "/c"},
      {"//a///b", Ok, "/a/b"},
      {"//", Ok, "/"},
      {"/a//", Ok, "/a/"},
      {"/a/.//b", Ok, "/a/b"},
      {"/%2e/x", Ok, "/x"},
      {"/a/%2e%2e/x", Ok, "/x"},
      {"/a/.%2E/x", Ok, "/x"},
      {"/..a/b..", Ok, "/..a/b.."},
      {"/.../x", Ok, "/.../x"},
      {"/a/.hidden", Ok, "/a/.hidden"},
      // ---- accepted: absolute-form
      {"http://example.com/x?y", Ok, "/x", "y", "example.com"},
      {"HTTP://Example.com:8080", Ok, "/", "", "Example.com:8080"},
      {"https://h?q", Ok, "/", "q", "h"},
      {"http://[::1]:80/a/../b", Ok, "/b", "", "[::1]:80"},
      // ---- rejected: traversal
      {"/..", S400},
      {"/../x", S400},
      {"/a/../../x", S400},
      {"/%2e%2e/x", S400},
      {"/%2E%2E%2fx", S400},
      {"/a/%2e%2e/%2e%2e/x", S400},
      {"/./../x", S400},
      {"//..//x", S400},
      {"http://h/../x", S400},
      // ---- rejected: escapes and bytes
      {"/a%00b", S400},
      {"/a%2Fb", S400},
      {"/a%2fb", S400},
      {"/a\\b", S400},
      {"/a%5cb", S400},
      {"/a%5Cb", S400},
      {"/a%", S400},
      {"/a%4", S400},
      {"/a%zz", S400},
      {"/a%g0", S400},
      {"/a%0a", S400},
      {"/a%7F", S400},
      {"/a b", S400},
      {"/a\x01", S400},
      {"/a\0b"s, S400},
      {"/a\x7f", S400},
      {"/caf\xc3\xa9", S400},
      {"/a\"b", S400},
      {"/a<b>", S400},
      {"/a#frag", S400},
      {"/a?b#c", S400},
      {"/a?b c", S400},
      {"/a?\x01", S400},
      // ---- rejected: forms
      {"", S400},
      {"*", S400},
      {"example.com:443", S400},
      {"a/b", S400},
      {"http://", S400},
      {"http:///x", S400},
      {"http://user@host/", S400},
      {"http://ho st/", S400},
      {"ftp://host/", S400},
  };
  return r;
}

TEST(Target, Rows) {
  for (const Row& row : rows()) {
    SCOPED_TRACE("target: " + row.target);
    std::string buf(row.target.size(), '\0');  // the documented sufficient size
    Target t;
    const Error e = parse_target(row.target, std::span<char>(buf.data(), buf.size()), t);
    EXPECT_EQ(e.status, row.status) << e.reason;
    if (row.status != Status::None) {
      EXPECT_NE(e.reason, "");
      continue;
    }
    EXPECT_EQ(t.path, row.path);
    EXPECT_EQ(t.query, row.query);
    EXPECT_EQ(t.has_query, row.target.find('?') != std::string::npos);
    EXPECT_EQ(t.authority, row.authority);
    EXPECT_EQ(t.form, row.authority.empty() ? TargetForm::Origin : TargetForm::Absolute);
    // The result lies in the buffer, and normalising it again is the identity.
    EXPECT_GE(t.path.data(), buf.data());
    EXPECT_LE(t.path.data() + t.path.size(), buf.data() + buf.size());
    std::string buf2(t.path.size(), '\0');
    std::string_view again;
    EXPECT_FALSE(normalize_decoded_path(t.path, std::span<char>(buf2.data(), buf2.size()), again));
    EXPECT_EQ(again, t.path);
  }
}

TEST(Target, SmallBufferIsUriTooLong) {
  char buf[3];
  Target t;
  EXPECT_EQ(parse_target("/abc", buf, t).status, Status::UriTooLong);
  EXPECT_EQ(parse_target("/ab", buf, t).status, Status::None);
  EXPECT_EQ(t.path, "/ab");
  EXPECT_EQ(parse_target("/a/b/../c/./d", buf, t).status, Status::UriTooLong);
}

TEST(Target, NormalizeDecodedPath) {
  struct R { std::string in; Status status; std::string out; };
  const std::vector<R> rs = {
      {"/a%41/./b", Status::None, "/a%41/b"},  // no decoding in this step
      {"/a b/..", Status::None, "/"},
      {"a", Status::BadRequest, ""},
      {"/a\\b", Status::BadRequest, ""},
      {"/a\0"s, Status::BadRequest, ""},
      {"/../a", Status::BadRequest, ""},
  };
  for (const R& r : rs) {
    SCOPED_TRACE(r.in);
    std::string buf(r.in.size() + 1, '\0');
    std::string_view out;
    EXPECT_EQ(normalize_decoded_path(r.in, std::span<char>(buf.data(), buf.size()), out).status,
              r.status);
    if (r.status == Status::None) {
      EXPECT_EQ(out, r.out);
    }
  }
}

TEST(Target, QueryIterator) {
  QueryIterator it("a=1&b&&c=&=d&e=f=g");
  struct E { std::string_view k, v; bool has; };
  const std::vector<E> want = {{"a", "1", true}, {"b", "", false}, {"c", "", true},
                               {"", "d", true},  {"e", "f=g", true}};
  QueryParam p;
  for (const E& e : want) {
    ASSERT_TRUE(it.next(p));
    EXPECT_EQ(p.key, e.k);
    EXPECT_EQ(p.value, e.v);
    EXPECT_EQ(p.has_value, e.has);
  }
  EXPECT_FALSE(it.next(p));
  QueryIterator empty("");
  EXPECT_FALSE(empty.next(p));
}

TEST(Target, DecodeQueryComponent) {
  struct R { std::string in; Status status; std::string out; };
  const std::vector<R> rs = {
      {"a+b%20c", Status::None, "a b c"}, {"%C3%A9", Status::None, "\xc3\xa9"},
      {"", Status::None, ""},             {"%zz", Status::BadRequest, ""},
      {"%4", Status::BadRequest, ""},     {"%00", Status::BadRequest, ""},
  };
  for (const R& r : rs) {
    SCOPED_TRACE(r.in);
    char buf[16];
    std::string_view out;
    EXPECT_EQ(decode_query_component(r.in, buf, out).status, r.status);
    if (r.status == Status::None) {
      EXPECT_EQ(out, r.out);
    }
  }
  char tiny[1];
  std::string_view out;
  EXPECT_EQ(decode_query_component("ab", tiny, out).status, Status::UriTooLong);
}

}  // namespace
}  // namespace hs::http
