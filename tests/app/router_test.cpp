// Router table tests: one row per request (method, path) -> the handler that
// answers, or 404/405 with the Allow set, and the params it fills.
#include "app/router.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hs::app {
namespace {

using http::Method;
using http::Status;

// A handler that only has a name.
class Tag final : public Handler {
public:
  explicit Tag(const char* name) : name(name) {}
  void handle(const conn::Request&, conn::Response&) override {}
  const char* name;
};

struct Table {
  Tag files{"files"}, home{"home"}, assets{"assets"}, images{"images"}, list{"list"}, create{"create"},
      item{"item"}, remove{"remove"}, special{"special"}, generic{"generic"}, count{"count"}, echo{"echo"},
      repo{"repo"};
  Router router{32};

  Table() {
    const MethodSet get{Method::Get};
    EXPECT_EQ(router.add({Method::Get, Method::Head}, "/*", files), AddError::none);
    EXPECT_EQ(router.add(get, "/", home), AddError::none);
    EXPECT_EQ(router.add(get, "/static/*", assets), AddError::none);
    EXPECT_EQ(router.add(get, "/static/img/*", images), AddError::none);
    EXPECT_EQ(router.add(get, "/api/items", list), AddError::none);
    EXPECT_EQ(router.add({Method::Post}, "/api/items", create, 100), AddError::none);
    EXPECT_EQ(router.add(get, "/api/items/{id}", item), AddError::none);
    EXPECT_EQ(router.add({Method::Delete}, "/api/items/{key}", remove), AddError::none);
    EXPECT_EQ(router.add(get, "/api/items/special", special), AddError::none);
    EXPECT_EQ(router.add(get, "/api/{kind}/{id}", generic), AddError::none);
    EXPECT_EQ(router.add(get, "/api/{kind}/count", count), AddError::none);
    EXPECT_EQ(router.add({Method::Post}, "/api/echo", echo, 4096), AddError::none);
    EXPECT_EQ(router.add(get, "/users/{user}/repos/{repo}", repo), AddError::none);
  }
};

struct Row {
  Method method;
  const char* path;
  const char* handler;  // nullptr: no handler, see status
  Status status;
  const char* params;   // "name=value;..." in order, "" for none
  const char* allow;    // 405 rows: the Allow text
  uint64_t max_body = 0;
};

constexpr Status kOk = Status::None;
constexpr Status k404 = Status::NotFound;
constexpr Status k405 = Status::MethodNotAllowed;

const std::vector<Row> kRows = {
    // exact beats every prefix, "/" included
    {Method::Get, "/", "home", kOk, "", ""},
    {Method::Head, "/", nullptr, k405, "", "GET"},
    {Method::Get, "/index.html", "files", kOk, "*=index.html", ""},
    {Method::Head, "/a/b/c.txt", "files", kOk, "*=a/b/c.txt", ""},
    // longest prefix wins; the rest is the "*" param
    {Method::Get, "/static/app.css", "assets", kOk, "*=app.css", ""},
    {Method::Get, "/static/", "assets", kOk, "*=", ""},
    {Method::Get, "/static/img/a.png", "images", kOk, "*=a.png", ""},
    {Method::Get, "/static/imgx", "assets", kOk, "*=imgx", ""},
    {Method::Get, "/static", "files", kOk, "*=static", ""},
    {Method::Head, "/static/app.css", nullptr, k405, "", "GET"},
    // one resource, several registrations: methods are the union
    {Method::Get, "/api/items", "list", kOk, "", ""},
    {Method::Post, "/api/items", "create", kOk, "", "", 100},
    {Method::Put, "/api/items", nullptr, k405, "", "GET, POST"},
    // {param}: names may differ between the registrations of one resource
    {Method::Get, "/api/items/42", "item", kOk, "id=42", ""},
    {Method::Delete, "/api/items/42", "remove", kOk, "key=42", ""},
    {Method::Patch, "/api/items/42", nullptr, k405, "", "GET, DELETE"},
    // exact beats {param}
    {Method::Get, "/api/items/special", "special", kOk, "", ""},
    {Method::Delete, "/api/items/special", nullptr, k405, "", "GET"},
    // between {param} patterns, a literal wins at the first segment that differs
    {Method::Get, "/api/things/7", "generic", kOk, "kind=things;id=7", ""},
    {Method::Get, "/api/things/count", "count", kOk, "kind=things", ""},
    {Method::Get, "/api/items/count", "item", kOk, "id=count", ""},
    // a param never matches an empty segment, nor across a '/'
    {Method::Get, "/api/items/", "files", kOk, "*=api/items/", ""},
    {Method::Get, "/api/items/1/2", "files", kOk, "*=api/items/1/2", ""},
    {Method::Get, "/users/ann/repos/homeserve", "repo", kOk, "user=ann;repo=homeserve", ""},
    {Method::Get, "/users/ann/repos/homeserve/", "files", kOk, "*=users/ann/repos/homeserve/", ""},
    // the most specific pattern decides alone: no fallback to "/*" for GET
    {Method::Post, "/api/echo", "echo", kOk, "", "", 4096},
    {Method::Get, "/api/echo", nullptr, k405, "", "POST"},
    {Method::Post, "/other", nullptr, k405, "", "GET, HEAD"},
    {Method::Other, "/other", nullptr, k405, "", "GET, HEAD"},
    // exact means exact: case and trailing slash count
    {Method::Get, "/API/items", "files", kOk, "*=API/items", ""},
    {Method::Get, "/api/items/special/", "files", kOk, "*=api/items/special/", ""},
};

std::string params_text(const conn::Request& req) {
  std::string s;
  for (uint8_t i = 0; i < req.param_count; ++i) {
    if (i) s += ';';
    s += std::string(req.params[i].name) + "=" + std::string(req.params[i].value);
  }
  return s;
}

TEST(Router, Table) {
  Table t;
  for (const Row& row : kRows) {
    SCOPED_TRACE(std::string("method ") + std::to_string(static_cast<int>(row.method)) + " " + row.path);
    conn::Request req;
    req.method = row.method;
    req.path = row.path;
    const Resolution r = t.router.resolve(req);
    EXPECT_EQ(r.status, row.status);
    if (row.handler != nullptr) {
      ASSERT_NE(r.route, nullptr);
      EXPECT_STREQ(static_cast<Tag*>(r.route->handler)->name, row.handler);
      EXPECT_EQ(r.route->max_body, row.max_body);
      EXPECT_EQ(params_text(req), row.params);
    } else {
      EXPECT_EQ(r.route, nullptr);
      if (row.status == k405) {
        ASSERT_NE(r.resource, nullptr);
        char buf[96];
        EXPECT_EQ(r.resource->resource_methods.allow_text(buf), row.allow);
      }
    }
  }
}

TEST(Router, NothingMatchesIs404) {
  Tag a{"a"};
  Router router(4);
  ASSERT_EQ(router.add({Method::Get}, "/only", a), AddError::none);
  ASSERT_EQ(router.add({Method::Get}, "/p/{x}", a), AddError::none);
  for (const char* path : {"/", "/only/", "/onl", "/p", "/p/", "/p/1/2", "*"}) {
    conn::Request req;
    req.method = Method::Get;
    req.path = path;
    const Resolution r = router.resolve(req);
    EXPECT_EQ(r.status, k404) << path;
    EXPECT_EQ(r.route, nullptr) << path;
  }
}

TEST(Router, RegistrationErrors) {
  Tag a{"a"};
  Router router(3);
  struct Bad {
    const char* pattern;
    AddError error;
  };
  const Bad bad[] = {
      {"", AddError::bad_pattern},          {"api", AddError::bad_pattern},
      {"*", AddError::bad_pattern},         {"/a*", AddError::bad_pattern},
      {"/a/*/b", AddError::bad_pattern},    {"/{a}/*", AddError::bad_pattern},
      {"/a/{", AddError::bad_pattern},      {"/a/{}", AddError::bad_pattern},
      {"/a/x{id}", AddError::bad_pattern},  {"/a/{id}x", AddError::bad_pattern},
      {"/a/{i-d}", AddError::bad_pattern},  {"/a/}", AddError::bad_pattern},
      {"/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", AddError::too_many_params},
  };
  for (const Bad& b : bad) EXPECT_EQ(router.add({Method::Get}, b.pattern, a), b.error) << b.pattern;
  EXPECT_EQ(router.add({}, "/x", a), AddError::no_methods);
  EXPECT_EQ(router.size(), 0u);

  EXPECT_EQ(router.add({Method::Get}, "/{a}/{b}/{c}/{d}/{e}/{f}/{g}", a), AddError::none);
  EXPECT_EQ(router.add({Method::Get, Method::Post}, "/x/{id}", a), AddError::none);
  EXPECT_EQ(router.add({Method::Post}, "/x/{other}", a), AddError::duplicate);
  EXPECT_EQ(router.add({Method::Put}, "/x/{other}", a), AddError::none);
  EXPECT_EQ(router.add({Method::Delete}, "/y", a), AddError::table_full);
  EXPECT_EQ(router.size(), 3u);
  EXPECT_STRNE(message(AddError::duplicate), "");
}

TEST(Router, SevenParamsAreFilled) {
  Tag a{"a"};
  Router router(1);
  ASSERT_EQ(router.add({Method::Get}, "/{a}/{b}/{c}/{d}/{e}/{f}/{g}", a), AddError::none);
  conn::Request req;
  req.method = Method::Get;
  req.path = "/1/2/3/4/5/6/7";
  ASSERT_NE(router.resolve(req).route, nullptr);
  EXPECT_EQ(params_text(req), "a=1;b=2;c=3;d=4;e=5;f=6;g=7");
  EXPECT_EQ(req.param("e"), "5");
}

TEST(Router, ResolveClearsParamsOfAnEarlierRequest) {
  Tag a{"a"};
  Router router(2);
  ASSERT_EQ(router.add({Method::Get}, "/p/{x}", a), AddError::none);
  conn::Request req;
  req.method = Method::Get;
  req.path = "/p/1";
  ASSERT_NE(router.resolve(req).route, nullptr);
  req.path = "/nothing";
  EXPECT_EQ(router.resolve(req).status, k404);
  EXPECT_EQ(req.param_count, 0u);
}

TEST(MethodSet, AllowTextInAFixedOrder) {
  char buf[96];
  EXPECT_EQ(MethodSet({Method::Head, Method::Get}).allow_text(buf), "GET, HEAD");
  EXPECT_EQ(MethodSet({Method::Delete, Method::Post, Method::Options}).allow_text(buf), "POST, DELETE, OPTIONS");
  EXPECT_EQ(MethodSet({Method::Other}).allow_text(buf), "");
  EXPECT_EQ(MethodSet::any().allow_text(buf), "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, TRACE, CONNECT");
  char small[8];
  EXPECT_EQ(MethodSet({Method::Get, Method::Head}).allow_text(small), "GET");
  EXPECT_TRUE(MethodSet::any().has(Method::Other));
}

TEST(FunctionHandler, CallsTheFunctionWithItsContext) {
  int calls = 0;
  FunctionHandler h([](void* ctx, const conn::Request&, conn::Response&) { ++*static_cast<int*>(ctx); }, &calls);
  conn::Responder r;
  char head[256], body[64];
  r.head_area = head;
  r.body_area = body;
  conn::Response resp(r);
  h.handle(conn::Request{}, resp);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace hs::app
