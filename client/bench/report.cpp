#include "client/bench/report.hpp"

#include <vector>

#include "json/writer.hpp"

namespace hs::client::bench {

namespace {

constexpr double kPercentiles[] = {50, 90, 99, 99.9};
constexpr const char* kPercentileKeys[] = {"p50", "p90", "p99", "p99_9"};
constexpr const char* kPercentileLabels[] = {"p50", "p90", "p99", "p99.9"};
constexpr const char* kStatusKeys[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

double us(uint64_t ns) { return static_cast<double>(ns) / 1e3; }

}  // namespace

double per_second(uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0; }

std::string format_latency(uint64_t ns) {
  char buf[32];
  const double v = static_cast<double>(ns);
  if (ns < 10'000) std::snprintf(buf, sizeof buf, "%.2f us", v / 1e3);
  else if (ns < 1'000'000) std::snprintf(buf, sizeof buf, "%.0f us", v / 1e3);
  else if (ns < 1'000'000'000) std::snprintf(buf, sizeof buf, "%.2f ms", v / 1e6);
  else std::snprintf(buf, sizeof buf, "%.2f s", v / 1e9);
  return buf;
}

std::string format_bytes(double b) {
  char buf[32];
  if (b >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  else if (b >= 1024.0) std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  else std::snprintf(buf, sizeof buf, "%.0f B", b);
  return buf;
}

std::string group_digits(uint64_t v) {
  char digits[24];
  const int n = std::snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(v));
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

void print_text(std::FILE* out, const RunInfo& info, const Result& r) {
  const Counters& c = r.counters;
  const Histogram& h = *r.latency;
  std::fprintf(out, "homeserve bench: %zu URL%s, %u connection%s, %u thread%s, %.2f s, ", info.urls.size(),
               info.urls.size() == 1 ? "" : "s", info.connections, info.connections == 1 ? "" : "s", info.threads,
               info.threads == 1 ? "" : "s", r.seconds);
  if (info.rate > 0) std::fprintf(out, "constant rate %.0f req/s", info.rate);
  else std::fprintf(out, "closed loop");
  std::fprintf(out, ", pipeline %u, %s\n", info.depth, info.io);
  for (const std::string& u : info.urls) std::fprintf(out, "  %s\n", u.c_str());
  std::fprintf(out, "  responses  %s  %.0f req/s\n", group_digits(c.responses).c_str(), per_second(c.responses, r.seconds));
  std::fprintf(out, "  transfer   %s  %s/s\n", format_bytes(static_cast<double>(c.bytes)).c_str(),
               format_bytes(per_second(c.bytes, r.seconds)).c_str());
  std::fprintf(out, "  latency   ");
  for (size_t i = 0; i < 4; ++i)
    std::fprintf(out, " %s %s ", kPercentileLabels[i], format_latency(h.percentile(kPercentiles[i])).c_str());
  std::fprintf(out, " max %s  mean %s%s\n", format_latency(h.max()).c_str(),
               format_latency(static_cast<uint64_t>(h.mean())).c_str(),
               info.rate > 0 ? "  (from each request's due time)" : "");
  std::fprintf(out, "  status    ");
  for (int i = 1; i <= 5; ++i)
    if (c.status_class[i]) std::fprintf(out, " %s %s", kStatusKeys[i], group_digits(c.status_class[i]).c_str());
  if (c.status_class[0]) std::fprintf(out, " other %s", group_digits(c.status_class[0]).c_str());
  std::fprintf(out, "\n  errors    ");
  if (c.error_total() == 0) std::fprintf(out, " none");
  for (int i = 0; i < kErrorKinds; ++i)
    if (c.errors[i]) std::fprintf(out, " %s %s", to_string(static_cast<ErrorKind>(i)), group_digits(c.errors[i]).c_str());
  const double cpu = r.cpu_user + r.cpu_sys;
  std::fprintf(out, "\n  client cpu %.2f s (%.2f us/response)\n", cpu,
               c.responses ? cpu * 1e6 / static_cast<double>(c.responses) : 0.0);
}

void write_result(json::Writer& w, const Result& r) {
  const Counters& c = r.counters;
  const Histogram& h = *r.latency;
  w.key("seconds").real(r.seconds);
  w.key("requests").integer(static_cast<int64_t>(c.requests));
  w.key("responses").integer(static_cast<int64_t>(c.responses));
  w.key("requests_per_second").real(per_second(c.responses, r.seconds));
  w.key("bytes").integer(static_cast<int64_t>(c.bytes));
  w.key("bytes_per_second").real(per_second(c.bytes, r.seconds));
  w.key("connects").integer(static_cast<int64_t>(c.connects));
  w.key("latency_us").begin_object();
  for (size_t i = 0; i < 4; ++i) w.key(kPercentileKeys[i]).real(us(h.percentile(kPercentiles[i])));
  w.key("max").real(us(h.max()));
  w.key("mean").real(h.mean() / 1e3);
  w.end_object();
  w.key("status").begin_object();
  for (int i = 0; i < 6; ++i) w.key(kStatusKeys[i]).integer(static_cast<int64_t>(c.status_class[i]));
  w.end_object();
  w.key("errors").begin_object();
  for (int i = 0; i < kErrorKinds; ++i)
    w.key(to_string(static_cast<ErrorKind>(i))).integer(static_cast<int64_t>(c.errors[i]));
  w.key("total").integer(static_cast<int64_t>(c.error_total()));
  w.end_object();
  w.key("client_cpu_seconds").real(r.cpu_user + r.cpu_sys);
  w.key("client_cpu_us_per_response")
      .real(c.responses ? (r.cpu_user + r.cpu_sys) * 1e6 / static_cast<double>(c.responses) : 0.0);
}

std::string json_summary(const RunInfo& info, const Result& r) {
  size_t size = 4096;
  for (const std::string& u : info.urls) size += 6 * u.size() + 8;
  std::vector<char> buf(size);
  json::Writer w(buf);
  w.begin_object();
  w.key("urls").begin_array();
  for (const std::string& u : info.urls) w.string(u);
  w.end_array();
  w.key("connections").integer(info.connections);
  w.key("threads").integer(info.threads);
  w.key("pipeline").integer(info.depth);
  w.key("rate").real(info.rate);
  w.key("io").string(info.io);
  write_result(w, r);
  w.end_object();
  return std::string(w.view());
}

}  // namespace hs::client::bench
