#include "http/status.hpp"

namespace hs::http {

std::string_view reason_phrase(Status s) {
  switch (s) {
    case Status::None: return "";
    case Status::Continue: return "Continue";
    case Status::Ok: return "OK";
    case Status::NoContent: return "No Content";
    case Status::PartialContent: return "Partial Content";
    case Status::MovedPermanently: return "Moved Permanently";
    case Status::NotModified: return "Not Modified";
    case Status::PermanentRedirect: return "Permanent Redirect";
    case Status::BadRequest: return "Bad Request";
    case Status::NotFound: return "Not Found";
    case Status::MethodNotAllowed: return "Method Not Allowed";
    case Status::NotAcceptable: return "Not Acceptable";
    case Status::RequestTimeout: return "Request Timeout";
    case Status::PreconditionFailed: return "Precondition Failed";
    case Status::ContentTooLarge: return "Content Too Large";
    case Status::UriTooLong: return "URI Too Long";
    case Status::UnsupportedMediaType: return "Unsupported Media Type";
    case Status::RangeNotSatisfiable: return "Range Not Satisfiable";
    case Status::ExpectationFailed: return "Expectation Failed";
    case Status::TooManyRequests: return "Too Many Requests";
    case Status::HeaderFieldsTooLarge: return "Request Header Fields Too Large";
    case Status::InternalServerError: return "Internal Server Error";
    case Status::NotImplemented: return "Not Implemented";
    case Status::ServiceUnavailable: return "Service Unavailable";
    case Status::VersionNotSupported: return "HTTP Version Not Supported";
  }
  return "Unknown";
}

}  // namespace hs::http
