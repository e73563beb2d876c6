// Table tests of the tools' URL parser.
#include <gtest/gtest.h>

#include <string>

#include "client/common/url.hpp"

namespace hs::client {
namespace {

struct UrlRow {
  const char* text;
  bool ok;
  const char* address;  // printed with net::format_address, when ok
  const char* host;
  const char* target;
  const char* why_contains;  // when not ok
};

TEST(Url, Parses) {
  const UrlRow rows[] = {
      {"http://127.0.0.1:8080/path", true, "127.0.0.1:8080", "127.0.0.1:8080", "/path", ""},
      {"http://127.0.0.1:8080", true, "127.0.0.1:8080", "127.0.0.1:8080", "/", ""},
      {"http://[::1]:8080/", true, "[::1]:8080", "[::1]:8080", "/", ""},
      {"http://[::1]/x", true, "[::1]:80", "[::1]", "/x", ""},
      {"http://localhost:8080", true, "127.0.0.1:8080", "localhost:8080", "/", ""},
      {"HTTP://LOCALHOST:81/a?b=c#frag", true, "127.0.0.1:81", "LOCALHOST:81", "/a?b=c", ""},
      {"http://10.0.0.2?q=1", true, "10.0.0.2:80", "10.0.0.2", "/?q=1", ""},
      {"http://127.0.0.1:8080/a%20b", true, "127.0.0.1:8080", "127.0.0.1:8080", "/a%20b", ""},
      {"https://127.0.0.1/", true, "127.0.0.1:443", "127.0.0.1", "/", ""},
      {"https://localhost:8443/x", true, "127.0.0.1:8443", "localhost:8443", "/x", ""},
      {"ftp://127.0.0.1/", false, "", "", "", "only http://"},
      {"127.0.0.1:8080/", false, "", "", "", "expected a URL"},
      {"http://", false, "", "", "", "no host"},
      {"http://example.com/", false, "", "", "", "numeric"},
      {"http://user@127.0.0.1/", false, "", "", "", "user"},
      {"http://127.0.0.1:0/", false, "", "", "", "port"},
      {"http://127.0.0.1:65536/", false, "", "", "", "port"},
      {"http://127.0.0.1:/", false, "", "", "", "port"},
      {"http://127.0.0.1:8x/", false, "", "", "", "port"},
      {"http://[::1/", false, "", "", "", "']'"},
      {"http://[::zz]:80/", false, "", "", "", "IPv6"},
      {"http://[::1]x/", false, "", "", "", "PORT"},
      {"http://127.0.0.1/a b", false, "", "", "", "spaces"},
  };
  for (const UrlRow& row : rows) {
    SCOPED_TRACE(row.text);
    Url u;
    const char* why = "";
    const bool ok = parse_url(row.text, u, why);
    ASSERT_EQ(ok, row.ok) << why;
    if (ok) {
      char buf[64];
      net::format_address(u.address, buf, sizeof buf);
      EXPECT_STREQ(buf, row.address);
      EXPECT_EQ(u.host, row.host);
      EXPECT_EQ(u.target, row.target);
    } else {
      EXPECT_NE(std::string(why).find(row.why_contains), std::string::npos) << why;
    }
  }
}

}  // namespace
}  // namespace hs::client
