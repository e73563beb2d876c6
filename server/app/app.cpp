#include "app/app.hpp"

#include <cstdio>
#include <cstring>

#include "app/responses.hpp"

namespace hs::app {

App::App(const Config& config)
    : router_(config.max_routes), status_(config.status_probe, config.clock(), config.clock) {
  const MethodSet get_head{http::Method::Get, http::Method::Head};
  if (!config.docroot.empty()) {
    StaticOptions options;
    options.dotfiles = config.dotfiles;
    options.follow_symlinks = config.follow_symlinks;
    options.listing = config.listing;
    cache_control_ = config.cache_control;  // the handler keeps a view
    options.cache_control = cache_control_;
    options.file_cache = config.file_cache;
    options.inline_max = config.inline_max;
    options.content_cache = config.content_cache;
    if (int err = static_files_.open(config.docroot.c_str(), options); err != 0) {
      fail("cannot open the document root", config.docroot, std::strerror(err));
      return;
    }
    if (AddError e = router_.add({http::Method::Get, http::Method::Head, http::Method::Options}, "/*", static_files_);
        e != AddError::none) {
      fail("cannot mount the static files at", "/*", message(e));
      return;
    }
  }
  if (!config.status_path.empty()) {
    if (AddError e = router_.add(get_head, config.status_path, status_); e != AddError::none) {
      fail("bad status path", config.status_path, message(e));
      return;
    }
  }
  if (config.example_api) {
    if (AddError e = example_.mount(router_); e != AddError::none) {
      fail("cannot mount the example API at", "/api/", message(e));
      return;
    }
  }
}

void App::fail(const char* what, std::string_view detail, const char* why) {
  std::snprintf(error_, sizeof error_, "%s '%.*s': %s", what, static_cast<int>(detail.size()), detail.data(), why);
}

conn::Route App::route(conn::Request& request) {
  const Resolution r = router_.resolve(request);
  if (r.route != nullptr) return {r.route, r.route->max_body, http::Status::None};
  // No handler: the status, and for 405 the matched resource (its Allow set).
  return {r.resource, 0, r.status};
}

void App::handle(const conn::Route& route, const conn::Request& request, conn::Response& response) {
  const auto* entry = static_cast<const RouteEntry*>(route.handler);
  if (route.status != http::Status::None) {
    if (route.status == http::Status::MethodNotAllowed && entry != nullptr)
      return write_method_not_allowed(response, entry->resource_methods);
    return write_error(response, route.status);
  }
  if (entry == nullptr) return write_error(response, http::Status::InternalServerError, "no handler");
  entry->handler->handle(request, response);
}

bool App::error_page(http::Status status, std::string_view reason, conn::Response& response) {
  write_error(response, status, reason);
  return true;
}

}  // namespace hs::app
