#include "app/example_api.hpp"

#include <cmath>

#include "app/responses.hpp"
#include "http/media_type.hpp"
#include "json/json.hpp"

namespace hs::app {

namespace {

using http::Status;

// Writes {"error":"<message>"} with `status`.
void json_error(conn::Response& response, Status status, std::string_view message) {
  json::Writer w(response.body_space());
  w.begin_object().key("error").string(message).end_object();
  if (!w.complete()) return write_error(response, Status::InternalServerError, "error body too large");
  response.status(status);
  response.header("Content-Type", "application/json");
  response.commit_body(w.size());
}

void json_answer(conn::Response& response, const json::Writer& w) {
  if (!w.complete()) return write_error(response, Status::InternalServerError, "answer larger than a responder");
  response.status(Status::Ok);
  response.header("Content-Type", "application/json");
  response.commit_body(w.size());
}

bool is_json_content_type(std::string_view value) {
  http::MediaType mt;
  if (value.empty() || http::parse_media_type(value, mt)) return false;
  if (!mt.is("application", "json")) return false;
  const std::optional<http::MediaParam> charset = mt.param("charset");
  return !charset || http::param_value_iequals(*charset, "utf-8");
}

}  // namespace

void SumHandler::handle(const conn::Request& request, conn::Response& response) {
  if (!is_json_content_type(request.header("Content-Type")))
    return json_error(response, Status::UnsupportedMediaType, "Content-Type must be application/json");

  json::Token tokens[kSumMaxTokens];
  const json::Parsed parsed = json::parse_document(request.body, tokens);
  if (!parsed.ok()) {
    char text[96];
    const std::string_view message = json::format_error(parsed.error, text);
    const bool too_big = parsed.error.kind() == json::ErrorKind::too_many_tokens ||
                         parsed.error.kind() == json::ErrorKind::too_large;
    return json_error(response, too_big ? Status::ContentTooLarge : Status::BadRequest, message);
  }

  const json::Value numbers = parsed.doc.root()["numbers"];
  if (!numbers.is_array()) return json_error(response, Status::BadRequest, "expected {\"numbers\":[...]}");
  int64_t isum = 0;
  double dsum = 0;
  bool integral = true;
  for (json::Value v : numbers.elements()) {
    if (!v.is_number()) return json_error(response, Status::BadRequest, "expected {\"numbers\":[...]}");
    double d = 0;
    if (v.get_double(d) != json::ReadErr::ok) return json_error(response, Status::BadRequest, "number out of range");
    dsum += d;
    int64_t i = 0;
    if (integral && v.get_int64(i) == json::ReadErr::ok) {
      if (__builtin_add_overflow(isum, i, &isum)) return json_error(response, Status::BadRequest, "sum out of range");
    } else {
      integral = false;
    }
  }
  if (!integral && !std::isfinite(dsum)) return json_error(response, Status::BadRequest, "sum out of range");

  json::Writer w(response.body_space());
  w.begin_object().key("sum");
  if (integral) {
    w.integer(isum);
  } else {
    w.real(dsum);
  }
  w.end_object();
  json_answer(response, w);
}

void HelloHandler::handle(const conn::Request& request, conn::Response& response) {
  json::Writer w(response.body_space());
  w.begin_object().key("hello").string(request.param("name")).end_object();
  if (w.status() == json::WriteErr::invalid_utf8)
    return json_error(response, Status::BadRequest, "name is not valid UTF-8");
  json_answer(response, w);
}

AddError ExampleApi::mount(Router& router) {
  if (AddError e = router.add({http::Method::Post}, "/api/sum", sum, kSumMaxBody); e != AddError::none) return e;
  return router.add({http::Method::Get, http::Method::Head}, "/api/hello/{name}", hello);
}

}  // namespace hs::app
