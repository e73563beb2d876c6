#include "client/pipeline/pipeline.hpp"

#include <poll.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "client/common/fetch.hpp"
#include "client/common/response_reader.hpp"
#include "client/common/socket_io.hpp"
#include "client/common/stream.hpp"

namespace hs::client {

namespace {

constexpr uint64_t kMaxCount = 1'000'000;
constexpr size_t kMaxTargetBody = 16 << 20;
constexpr char kMissingPath[] = "/.homeserve-pipeline-missing";

// Compares body pieces with the expected body as they arrive.
class CompareSink final : public BodySink {
public:
  void expect(const std::string* body) {
    body_ = body;
    offset_ = 0;
    first_diff_ = -1;
  }
  void on_body(std::string_view piece) override {
    if (first_diff_ < 0) {
      const size_t have = offset_ < body_->size() ? body_->size() - offset_ : 0;
      const size_t n = std::min(have, piece.size());
      if (n > 0 && std::memcmp(body_->data() + offset_, piece.data(), n) != 0) {
        size_t i = 0;
        while (body_->data()[offset_ + i] == piece[i]) ++i;  // a difference exists below n
        first_diff_ = static_cast<long long>(offset_ + i);
      } else if (n < piece.size()) {
        first_diff_ = static_cast<long long>(offset_ + n);  // longer than expected
      }
    }
    offset_ += piece.size();
  }
  size_t received() const { return offset_; }
  long long first_diff() const { return first_diff_; }

private:
  const std::string* body_ = nullptr;
  size_t offset_ = 0;
  long long first_diff_ = -1;
};

std::string bad_request(const Url& url) {
  return make_request("GET", url.target, url.host, "Content-Length: not-a-number\r\n");
}

bool same_answer(const PipelineTarget& a, const PipelineTarget& b) {
  return a.status == b.status && a.body == b.body;
}

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  return line;
}

bool learn(const Url& url, PipelineTarget& t, std::string& why) {
  const Fetched f = fetch(url, t.request, Deadline::in(Ms(5000)), kMaxTargetBody, t.head);
  if (f.outcome != ReadOutcome::response) {
    why = "asking " + t.label + " alone: " + f.describe();
    return false;
  }
  if (f.body_truncated) {
    why = t.label + " answers more than 16 MiB; choose a smaller target";
    return false;
  }
  t.status = f.status;
  t.body = f.body;
  return true;
}

std::string path_target(const std::string& p) { return p.empty() || p.front() != '/' ? "/" + p : p; }

}  // namespace

bool check_pipeline_options(const PipelineOptions& o, std::string& why) {
  Url url;
  const char* url_why = "";
  if (!parse_url(o.url, url, url_why)) {
    why = o.url + ": " + url_why;
    return false;
  }
  if (!attach_tls(url, o.tls, why)) return false;  // e.g. a missing --cacert file: a bad option
  if (o.count == 0 || o.count > kMaxCount) {
    why = "-n must be from 1 to 1000000";
    return false;
  }
  if (o.repeat == 0 || o.repeat > kMaxCount) {
    why = "--repeat must be from 1 to 1000000";
    return false;
  }
  if (o.bad_at > o.count) {
    why = "--bad-at must be at most -n";
    return false;
  }
  if (!(o.timeout > 0) || o.timeout > 3600) {
    why = "--timeout must be more than 0 and at most 3600 seconds";
    return false;
  }
  return true;
}

bool plan_pipeline(const PipelineOptions& o, PipelinePlan& plan, std::string& why) {
  plan = PipelinePlan{};
  if (!check_pipeline_options(o, why)) return false;
  const char* url_why = "";
  parse_url(o.url, plan.url, url_why);
  if (!attach_tls(plan.url, o.tls, why)) return false;
  plan.bad_at = o.bad_at;
  const Url& url = plan.url;
  auto add = [&](const char* method, const std::string& target) {
    PipelineTarget t;
    t.label = std::string(method) + " " + target;
    t.request = make_request(method, target, url.host);
    t.head = std::strcmp(method, "HEAD") == 0;
    plan.targets.push_back(std::move(t));
  };
  add("GET", url.target);
  for (const std::string& p : o.paths) add("GET", path_target(p));
  for (PipelineTarget& t : plan.targets)
    if (!learn(url, t, why)) return false;
  bool all_alike = true;
  for (size_t i = 1; i < plan.targets.size(); ++i) all_alike = all_alike && same_answer(plan.targets[0], plan.targets[i]);
  if (all_alike) {
    // One answer for everything would hide the order: add unlike neighbours.
    plan.targets.resize(1);
    add("HEAD", url.target);
    add("GET", kMissingPath);
    for (size_t i = 1; i < plan.targets.size(); ++i)
      if (!learn(url, plan.targets[i], why)) return false;
    plan.notes.push_back(std::string(o.paths.empty() ? "one target cannot show the order" : "the targets answer alike") +
                         ": HEAD " + url.target + " and GET " + kMissingPath + " join it so the order is visible");
  }
  for (size_t i = 0; i < plan.targets.size(); ++i) {
    const size_t j = (i + 1) % plan.targets.size();
    if (j != i && same_answer(plan.targets[i], plan.targets[j]) && plan.targets[i].head == plan.targets[j].head)
      plan.notes.push_back(plan.targets[i].label + " and " + plan.targets[j].label +
                           " answer alike: swapping those two would go unseen");
  }

  const std::string bad = bad_request(url);
  const uint64_t depth = o.depth == 0 ? o.count : o.depth;
  plan.target_of.resize(o.count);
  for (uint64_t i = 0; i < o.count; ++i) {
    plan.target_of[i] = static_cast<uint32_t>(i % plan.targets.size());
    if (o.bad_at == i + 1) {
      plan.batch += bad;
    } else {
      plan.batch += plan.targets[plan.target_of[i]].request;
    }
    if ((i + 1) % depth == 0 || i + 1 == o.count) plan.write_ends.push_back(plan.batch.size());
  }
  return true;
}

RoundResult run_pipeline_round(const PipelinePlan& plan, Deadline deadline) {
  RoundResult r;
  const uint64_t count = plan.target_of.size();
  Stream stream;
  const Io io = stream.connect(plan.url, deadline);
  if (io != Io::ok) {
    r.message = io == Io::tls ? "connect: " + stream.error() : format("connect: %s", to_string(io));
    return r;
  }
  ResponseReader reader(64 * 1024);
  CompareSink sink;
  static const std::string kNoBody;
  // Which answer comes next: index into the round, its expectation set up.
  uint64_t next = 0;
  const uint64_t expected = plan.bad_at > 0 ? plan.bad_at : count;  // responses to see (the 400 included)
  auto arm = [&]() {
    if (next >= count) return;
    if (plan.bad_at == next + 1) {
      sink.expect(&kNoBody);
      return;
    }
    const PipelineTarget& t = plan.targets[plan.target_of[next]];
    if (t.head) reader.expect_head_response();
    sink.expect(&t.body);
  };
  arm();

  size_t sent = 0;
  size_t write_index = 0;
  bool send_failed = false;
  for (size_t guard = 0; guard < 100'000'000; ++guard) {
    // Write: one send() per write chunk (TCP_NODELAY keeps them apart);
    // with TLS, ciphertext the socket did not take goes first.
    if (!send_failed && stream.pending_output()) {
      const Io f = stream.flush();
      if (f != Io::ok && f != Io::again) send_failed = true;
    }
    while (!send_failed && write_index < plan.write_ends.size()) {
      const size_t end = plan.write_ends[write_index];
      size_t n = 0;
      const Io s = stream.send_some(std::string_view(plan.batch).substr(sent, end - sent), n);
      sent += n;
      if (sent == end) {
        ++write_index;
        continue;
      }
      if (s != Io::ok && s != Io::again) {
        if (s == Io::tls && plan.bad_at == 0) {
          r.message = "sending: " + stream.error();
          return r;
        }
        // The server may close after an error answer; what it sent can still be read.
        send_failed = true;
        if (plan.bad_at == 0) {
          r.message = format("sending: %s after %zu of %zu bytes", to_string(s), sent, plan.batch.size());
          // Keep reading: the answers may explain why.
        }
      }
      break;
    }
    // Read and check what arrived.
    for (;;) {
      const ResponseFramer::Event ev = reader.pump(&sink);
      if (ev == ResponseFramer::Event::error) {
        r.message = format("response %llu of %llu: bad framing: %s (%s)", static_cast<unsigned long long>(next + 1),
                           static_cast<unsigned long long>(count), reader.error().reason, to_string(reader.error().kind));
        return r;
      }
      if (ev != ResponseFramer::Event::complete) break;
      const ResponseInfo& info = reader.info();
      if (info.status < 200) continue;  // interim 100 Continue
      const bool is_bad = plan.bad_at == next + 1;
      const int want_status = is_bad ? 400 : plan.targets[plan.target_of[next]].status;
      const std::string& want_body = is_bad ? kNoBody : plan.targets[plan.target_of[next]].body;
      const char* label = is_bad ? "the bad request" : plan.targets[plan.target_of[next]].label.c_str();
      if (info.status != want_status) {
        r.message = format("response %llu of %llu (to %s): expected status %d, got %d",
                           static_cast<unsigned long long>(next + 1), static_cast<unsigned long long>(count), label,
                           want_status, info.status);
        return r;
      }
      if (!is_bad && (sink.received() != want_body.size() || sink.first_diff() >= 0)) {
        r.message = format("response %llu of %llu (to %s): expected a %zu-byte body, got %zu bytes%s",
                           static_cast<unsigned long long>(next + 1), static_cast<unsigned long long>(count), label,
                           want_body.size(), sink.received(),
                           sink.first_diff() >= 0 ? format(" differing from byte %lld", sink.first_diff()).c_str()
                                                  : "");
        return r;
      }
      ++next;
      r.answered = next;
      if (next == expected) break;
      if (info.close) {
        r.message = format("the server closed after response %llu of %llu (Connection: close)",
                           static_cast<unsigned long long>(next), static_cast<unsigned long long>(count));
        return r;
      }
      arm();
    }
    if (next == expected) break;
    if (reader.eof()) {
      r.message = format("the connection %s after %llu of %llu responses", reader.was_reset() ? "was reset" : "closed",
                         static_cast<unsigned long long>(next), static_cast<unsigned long long>(expected));
      return r;
    }
    const Io got = reader.fill(stream);
    if (got == Io::ok || got == Io::eof || got == Io::reset) continue;
    if (got == Io::tls) {
      r.message = "receiving: " + stream.error();
      return r;
    }
    if (got != Io::again) {
      r.message = format("receiving: %s", to_string(got));
      return r;
    }
    pollfd p{stream.fd(), POLLIN, 0};
    if (!send_failed && (write_index < plan.write_ends.size() || stream.pending_output())) p.events |= POLLOUT;
    const int ready = ::poll(&p, 1, deadline.ms_left());
    if (ready == 0 || deadline.passed()) {
      r.message = format("timeout: %llu of %llu responses arrived", static_cast<unsigned long long>(next),
                         static_cast<unsigned long long>(expected));
      return r;
    }
  }

  if (plan.bad_at > 0) {
    // After the 400: the close, and nothing else.
    const ReadOutcome after = reader.await_close(stream, deadline);
    if (after == ReadOutcome::timeout) {
      r.message = "the server did not close the connection after answering the bad request";
      return r;
    }
    if (after != ReadOutcome::closed) {
      r.message = "the server sent more after answering the bad request";
      return r;
    }
  } else if (reader.buffered() > 0) {
    r.message = format("%zu bytes arrived after the last of %llu responses", reader.buffered(),
                       static_cast<unsigned long long>(count));
    return r;
  }
  r.ok = true;
  return r;
}

int run_pipeline(const PipelineOptions& o, std::FILE* out, std::FILE* err) {
  std::string why;
  if (!check_pipeline_options(o, why)) {
    std::fprintf(err, "pipeline: %s\n", why.c_str());
    return 2;
  }
  PipelinePlan plan;
  if (!plan_pipeline(o, plan, why)) {
    std::fprintf(err, "pipeline: %s\n", why.c_str());
    return 1;
  }
  std::fprintf(out, "pipeline: %zu requests in %zu write(s), %llu round(s), to %s%s\n", plan.target_of.size(),
               plan.write_ends.size(), static_cast<unsigned long long>(o.repeat), plan.url.host.c_str(),
               plan.url.target.c_str());
  for (const PipelineTarget& t : plan.targets)
    std::fprintf(out, "  target %-40s -> %d, %zu-byte body\n", t.label.c_str(), t.status, t.body.size());
  for (const std::string& n : plan.notes) std::fprintf(out, "  note: %s\n", n.c_str());
  const auto start = Clock::now();
  for (uint64_t round = 0; round < o.repeat; ++round) {
    const RoundResult r = run_pipeline_round(plan, Deadline::after_seconds(o.timeout));
    if (!r.ok) {
      std::fprintf(out, "pipeline: FAIL in round %llu: %s\n", static_cast<unsigned long long>(round + 1),
                   r.message.c_str());
      std::fprintf(err, "pipeline: round %llu: %s\n", static_cast<unsigned long long>(round + 1), r.message.c_str());
      return 1;
    }
  }
  if (plan.bad_at > 0) {
    std::fprintf(out, "pipeline: ok: %llu round(s): answers 1-%llu in order, 400 for request %llu, then the close (%.1f ms)\n",
                 static_cast<unsigned long long>(o.repeat), static_cast<unsigned long long>(plan.bad_at - 1),
                 static_cast<unsigned long long>(plan.bad_at), ms_since(start));
  } else {
    std::fprintf(out, "pipeline: ok: %llu round(s) of %zu responses, all in order with the right bodies (%.1f ms)\n",
                 static_cast<unsigned long long>(o.repeat), plan.target_of.size(), ms_since(start));
  }
  return 0;
}

}  // namespace hs::client
