// hs::json::parse side by side with jsmn (strict mode), RapidJSON (default
// DOM parse into a reused Document) and simdjson (DOM parser, reused), on a
// typical ~200-byte API body and a generated ~1 MB document.
// Note on jsmn and the large document: built without JSMN_PARENT_LINKS (the
// Debian default), jsmn finds a closed container's parent by walking back over
// every earlier token, so a long array of objects (the large document's
// "records") costs it time quadratic in the array length.
// Prints `json-small: homeserve/rapidjson = N.Nx` and friends (throughput
// ratios of medians, see ratio_report.hpp).
#include "bench/ratio_report.hpp"
#include "json/parser.hpp"

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>
#include <rapidjson/document.h>
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

const std::string& small_doc() {
  static const std::string s =
      R"({"id":18423,"user":{"name":"Alice Example","email":"alice@example.org","admin":false},)"
      R"("tags":["home","lan","pi"],"ratio":0.875,"note":"line 1\nline \"2\"","items":[1,2,3,5,8,13],)"
      R"("active":true,"parent":null})";
  return s;
}

// Deterministic ~1 MB document: records of nested objects and arrays, strings
// with escapes (\n \" \\ \t \u00e9, a surrogate pair) and raw UTF-8, integers
// and decimals with exponents.
const std::string& large_doc() {
  static const std::string s = [] {
    std::string d = R"({"generator":"homeserve json bench","version":1,"records":[)";
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    auto rnd = [&x] {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    };
    char buf[512];
    for (int i = 0; d.size() < (1u << 20) - 600; ++i) {
      if (i) d += ',';
      const auto r = rnd();
      std::snprintf(buf, sizeof buf,
                    R"({"id":%d,"name":"user %llu","email":"u%d@example.org","score":%lld.%03llue-%d,)"
                    R"("ratio":0.%llu,"balance":-%llu,"flags":[true,false,null],)",
                    i, static_cast<unsigned long long>(r % 100000), i, static_cast<long long>(r % 2000) - 1000,
                    static_cast<unsigned long long>((r >> 20) % 1000), static_cast<int>((r >> 30) % 12),
                    static_cast<unsigned long long>((r >> 8) % 1000000),
                    static_cast<unsigned long long>((r >> 33) % 10000000));
      d += buf;
      d += R"("bio":"Line one\nLine \"two\"\t\\ back caf\u00e9 \ud83d\ude00 and some plain text to scan",)";
      d += R"("tags":["alpha","beta","gamma","delta"],"utf8":"Grüße aus Köln, 東京",)";
      std::snprintf(buf, sizeof buf,
                    R"("nested":{"level":{"deep":[%llu,%llu,[%llu,{"k":"v","empty":{},"list":[]}]]}},)"
                    R"("matrix":[[1,2,3],[4,5,6],[7,8,9]],"last":"%016llx"})",
                    static_cast<unsigned long long>(r % 97), static_cast<unsigned long long>(r % 89),
                    static_cast<unsigned long long>(r % 83), static_cast<unsigned long long>(r));
      d += buf;
    }
    d += "]}";
    return d;
  }();
  return s;
}

const std::string& doc(int which) { return which == 0 ? small_doc() : large_doc(); }

void BM_homeserve(benchmark::State& state) {
  const std::string& in = doc(static_cast<int>(state.range(0)));
  std::vector<hs::json::Token> tokens(hs::json::tokens_needed_at_most(in.size()));
  if (!hs::json::parse(in, tokens).ok()) state.SkipWithError("homeserve rejected the document");
  for (auto _ : state) {
    auto r = hs::json::parse(in, tokens);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

void BM_jsmn(benchmark::State& state) {
  const std::string& in = doc(static_cast<int>(state.range(0)));
  std::vector<jsmntok_t> tokens(in.size() / 2 + 1);
  const auto n = static_cast<unsigned>(tokens.size());
  jsmn_parser p;
  jsmn_init(&p);
  if (jsmn_parse(&p, in.data(), in.size(), tokens.data(), n) <= 0) state.SkipWithError("jsmn rejected the document");
  for (auto _ : state) {
    jsmn_init(&p);
    int r = jsmn_parse(&p, in.data(), in.size(), tokens.data(), n);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

void BM_rapidjson(benchmark::State& state) {
  const std::string& in = doc(static_cast<int>(state.range(0)));
  // A user buffer for the value pool, cleared before each parse, so the
  // Document is reused without its memory growing.
  std::vector<char> pool(in.size() * 24 + 65536);
  rapidjson::MemoryPoolAllocator<> alloc(pool.data(), pool.size());
  rapidjson::Document d(&alloc);
  d.Parse(in.data(), in.size());
  if (d.HasParseError()) state.SkipWithError("rapidjson rejected the document");
  for (auto _ : state) {
    d.SetNull();
    alloc.Clear();
    d.Parse(in.data(), in.size());
    benchmark::DoNotOptimize(d.HasParseError());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

void BM_simdjson(benchmark::State& state) {
  const std::string& in = doc(static_cast<int>(state.range(0)));
  const simdjson::padded_string padded(in);
  simdjson::dom::parser parser;
  if (parser.parse(padded).error()) state.SkipWithError("simdjson rejected the document");
  for (auto _ : state) {
    auto r = parser.parse(padded);
    benchmark::DoNotOptimize(r.error());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

// Arg 0: small body, 1: large document.
BENCHMARK(BM_homeserve)->Arg(0)->Arg(1);
BENCHMARK(BM_jsmn)->Arg(0)->Arg(1);
BENCHMARK(BM_rapidjson)->Arg(0)->Arg(1);
BENCHMARK(BM_simdjson)->Arg(0)->Arg(1);

}  // namespace

int main(int argc, char** argv) {
  std::printf("json-small: %zu bytes, json-large: %zu bytes\n", small_doc().size(), large_doc().size());
  return hs::bench::run_with_ratios(argc, argv,
                                    {
                                        {"json-small", "BM_homeserve/0", "BM_rapidjson/0", "rapidjson"},
                                        {"json-large", "BM_homeserve/1", "BM_rapidjson/1", "rapidjson"},
                                        {"json-small", "BM_homeserve/0", "BM_jsmn/0", "jsmn"},
                                        {"json-large", "BM_homeserve/1", "BM_jsmn/1", "jsmn"},
                                        {"json-small", "BM_homeserve/0", "BM_simdjson/0", "simdjson"},
                                        {"json-large", "BM_homeserve/1", "BM_simdjson/1", "simdjson"},
                                    });
}
