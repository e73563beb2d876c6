#include "app/router.hpp"

#include <cstring>

namespace hs::app {

namespace {

using http::Method;

constexpr std::string_view kMethodNames[] = {"GET",     "HEAD",  "POST",  "PUT",    "DELETE",
                                             "OPTIONS", "PATCH", "TRACE", "CONNECT"};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

struct PatternInfo {
  RouteKind kind = RouteKind::Exact;
  uint8_t segments = 0;
  uint8_t param_count = 0;
  uint64_t param_mask = 0;
};

// Checks a pattern and works out its kind; see the grammar in router.hpp.
AddError analyse(std::string_view p, PatternInfo& out) {
  if (p.empty() || p[0] != '/') return AddError::bad_pattern;
  if (p.back() == '*') {
    std::string_view prefix = p.substr(0, p.size() - 1);
    if (prefix.back() != '/') return AddError::bad_pattern;
    if (prefix.find_first_of("{}*") != std::string_view::npos) return AddError::bad_pattern;
    out.kind = RouteKind::Prefix;
    return AddError::none;
  }
  if (p.find('*') != std::string_view::npos || (p.find('{') == std::string_view::npos &&
                                                p.find('}') != std::string_view::npos))
    return AddError::bad_pattern;
  if (p.find('{') == std::string_view::npos) {
    out.kind = RouteKind::Exact;
    return AddError::none;
  }
  out.kind = RouteKind::Params;
  size_t i = 1;  // after the leading '/'
  unsigned segment = 0;
  unsigned params = 0;
  for (;;) {
    size_t end = p.find('/', i);
    if (end == std::string_view::npos) end = p.size();
    std::string_view seg = p.substr(i, end - i);
    if (segment >= 64) return AddError::bad_pattern;
    if (!seg.empty() && seg.front() == '{') {
      if (seg.size() < 3 || seg.back() != '}') return AddError::bad_pattern;
      for (char c : seg.substr(1, seg.size() - 2))
        if (!is_name_char(c)) return AddError::bad_pattern;
      out.param_mask |= uint64_t{1} << segment;
      ++params;
    } else if (seg.find_first_of("{}") != std::string_view::npos) {
      return AddError::bad_pattern;
    }
    ++segment;
    if (end == p.size()) break;
    i = end + 1;
  }
  // One param slot stays free for "*" so a handler can always count on it.
  if (params > conn::Request{}.params.size() - 1) return AddError::too_many_params;
  out.segments = static_cast<uint8_t>(segment);
  out.param_count = static_cast<uint8_t>(params);
  return AddError::none;
}

// Same pattern, ignoring the names inside `{}`.
bool same_shape(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == '{' && b[j] == '{') {
      i = a.find('}', i) + 1;
      j = b.find('}', j) + 1;
      continue;
    }
    if (a[i] != b[j]) return false;
    ++i;
    ++j;
  }
  return i == a.size() && j == b.size();
}

// Walks a `{name}` pattern against a path; fills params when given.
bool match_params(std::string_view pattern, std::string_view path, conn::Request* request) {
  size_t i = 0, j = 0;
  uint8_t n = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '{') {
      const size_t close = pattern.find('}', i);
      size_t end = path.find('/', j);
      if (end == std::string_view::npos) end = path.size();
      if (end == j) return false;  // a param never matches an empty segment
      if (request != nullptr)
        request->params[n++] = {pattern.substr(i + 1, close - i - 1), path.substr(j, end - j)};
      i = close + 1;
      j = end;
      continue;
    }
    if (j >= path.size() || path[j] != pattern[i]) return false;
    ++i;
    ++j;
  }
  if (j != path.size()) return false;
  if (request != nullptr) request->param_count = n;
  return true;
}

bool matches(const RouteEntry& e, std::string_view path, conn::Request* request) {
  switch (e.kind) {
    case RouteKind::Exact:
      if (path != e.pattern) return false;
      if (request != nullptr) request->param_count = 0;
      return true;
    case RouteKind::Params:
      return match_params(e.pattern, path, request);
    case RouteKind::Prefix:
      if (!path.starts_with(e.prefix)) return false;
      if (request != nullptr) {
        request->params[0] = {"*", path.substr(e.prefix.size())};
        request->param_count = 1;
      }
      return true;
  }
  return false;
}

int kind_rank(RouteKind k) {
  switch (k) {
    case RouteKind::Exact: return 3;
    case RouteKind::Params: return 2;
    case RouteKind::Prefix: return 1;
  }
  return 0;
}

// True when `a` is strictly more specific than `b`; both match the same path.
bool more_specific(const RouteEntry& a, const RouteEntry& b) {
  if (a.kind != b.kind) return kind_rank(a.kind) > kind_rank(b.kind);
  switch (a.kind) {
    case RouteKind::Exact: return false;  // both match: same pattern
    case RouteKind::Params: {
      const uint64_t differ = a.param_mask ^ b.param_mask;
      if (differ == 0) return false;
      const uint64_t first = differ & (~differ + 1);  // the first segment where they differ
      return (a.param_mask & first) == 0;              // a has a literal there
    }
    case RouteKind::Prefix: return a.prefix.size() > b.prefix.size();
  }
  return false;
}

}  // namespace

std::string_view MethodSet::allow_text(std::span<char> out) const {
  size_t n = 0;
  for (size_t m = 0; m < std::size(kMethodNames); ++m) {
    if (!has(static_cast<Method>(m))) continue;
    const std::string_view name = kMethodNames[m];
    const size_t need = (n > 0 ? 2 : 0) + name.size();
    if (n + need > out.size()) break;
    if (n > 0) {
      out[n++] = ',';
      out[n++] = ' ';
    }
    std::memcpy(out.data() + n, name.data(), name.size());
    n += name.size();
  }
  return {out.data(), n};
}

const char* message(AddError e) {
  switch (e) {
    case AddError::none: return "ok";
    case AddError::table_full: return "route table full";
    case AddError::bad_pattern: return "bad route pattern";
    case AddError::too_many_params: return "too many {name} segments in a route pattern";
    case AddError::no_methods: return "route without methods";
    case AddError::no_handler: return "route without a handler";
    case AddError::duplicate: return "route registered twice for the same method";
  }
  return "unknown route error";
}

Router::Router(size_t capacity) : entries_(new RouteEntry[capacity]), capacity_(capacity) {}

AddError Router::add(MethodSet methods, std::string_view pattern, Handler& handler, uint64_t max_body) {
  if (methods.empty()) return AddError::no_methods;
  PatternInfo info;
  if (AddError e = analyse(pattern, info); e != AddError::none) return e;
  if (count_ == capacity_) return AddError::table_full;

  // Same pattern already registered: join its resource (disjoint methods only).
  uint16_t resource = resources_;
  MethodSet resource_methods = methods;
  for (size_t i = 0; i < count_; ++i) {
    const RouteEntry& e = entries_[i];
    if (e.kind != info.kind || !same_shape(e.pattern, pattern)) continue;
    if (e.methods.overlaps(methods)) return AddError::duplicate;
    resource = e.resource;
    resource_methods = e.resource_methods | methods;
  }
  if (resource == resources_) ++resources_;
  for (size_t i = 0; i < count_; ++i)
    if (entries_[i].resource == resource) entries_[i].resource_methods = resource_methods;

  RouteEntry& e = entries_[count_++];
  e.pattern.assign(pattern);
  e.kind = info.kind;
  e.prefix = info.kind == RouteKind::Prefix ? std::string_view(e.pattern).substr(0, e.pattern.size() - 1)
                                            : std::string_view();
  e.methods = methods;
  e.resource_methods = resource_methods;
  e.handler = &handler;
  e.max_body = max_body;
  e.resource = resource;
  e.segments = info.segments;
  e.param_count = info.param_count;
  e.param_mask = info.param_mask;
  return AddError::none;
}

Resolution Router::resolve(conn::Request& request) const {
  request.param_count = 0;
  const std::string_view path = request.path;
  const RouteEntry* best = nullptr;
  for (size_t i = 0; i < count_; ++i) {
    const RouteEntry& e = entries_[i];
    if (!matches(e, path, nullptr)) continue;
    if (best == nullptr || more_specific(e, *best)) best = &e;
  }
  if (best == nullptr) return {nullptr, http::Status::NotFound, nullptr};
  if (!best->resource_methods.has(request.method)) return {nullptr, http::Status::MethodNotAllowed, best};
  for (size_t i = 0; i < count_; ++i) {
    const RouteEntry& e = entries_[i];
    if (e.resource != best->resource || !e.methods.has(request.method)) continue;
    matches(e, path, &request);
    return {&e, http::Status::None, nullptr};
  }
  return {nullptr, http::Status::MethodNotAllowed, best};  // not reached
}

}  // namespace hs::app
