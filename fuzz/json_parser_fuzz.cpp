// libFuzzer target for hs::json. Properties checked on every input:
//  1. parse() never reads outside the input (ASan) and never overruns the
//     token array (exactly sized std::vector, ASan);
//  2. tokens_needed_at_most(N) tokens suffice for every valid document (the
//     stated memory bound), tokens_for_exact_errors(N) for every input;
//  3. accepted documents have consistent tokens (links, counts, offsets) and
//     respect the depth limit; small token/depth limits hold too, and a
//     document accepted under small limits is accepted under large ones;
//  4. an accepted document, written back with the Writer (strings decoded and
//     re-escaped, numbers copied), parses again to the same token structure
//     and the same values; the output is never longer than the input.
#include "json/json.hpp"
#include "tests/json/structure_check.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using hs::json::Token;
using hs::json::Type;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "json_parser_fuzz property failed: %s %s\n", what, detail.c_str());
  std::abort();
}

std::string decoded(hs::json::Value v) {
  std::string buf(v.raw().size(), '\0');
  const auto s = v.get_string(buf);
  if (!s.ok()) fail("string did not decode within raw size");
  return std::string(s.value);
}

// Writes the parsed document back through the Writer, iteratively.
bool write_back(const hs::json::Document& doc, hs::json::Writer& w) {
  struct Frame { std::uint32_t end; bool object; bool key_next; };
  std::vector<Frame> stack;
  const auto toks = doc.tokens();
  const auto n = static_cast<std::uint32_t>(toks.size());
  for (std::uint32_t i = 0; i <= n; ++i) {
    while (!stack.empty() && stack.back().end == i) {
      if (stack.back().object)
        w.end_object();
      else
        w.end_array();
      stack.pop_back();
    }
    if (i == n) break;
    const hs::json::Value v(doc.input().data(), toks.data(), i);
    if (!stack.empty() && stack.back().object) {
      if (stack.back().key_next) {
        w.key(decoded(v));
        stack.back().key_next = false;
        continue;
      }
      stack.back().key_next = true;
    }
    switch (v.type()) {
      case Type::object: w.begin_object(); stack.push_back({toks[i].next, true, true}); break;
      case Type::array: w.begin_array(); stack.push_back({toks[i].next, false, false}); break;
      case Type::string: w.string(decoded(v)); break;
      case Type::number: w.number_text(v.raw()); break;
      case Type::boolean: w.boolean(*v.as_bool()); break;
      case Type::null: w.null(); break;
      default: fail("bad token type");
    }
  }
  return w.complete();
}

void compare(const hs::json::Document& a, const hs::json::Document& b) {
  if (a.tokens().size() != b.tokens().size()) fail("round trip: token count differs");
  for (std::uint32_t i = 0; i < a.tokens().size(); ++i) {
    const Token& x = a.tokens()[i];
    const Token& y = b.tokens()[i];
    if (x.type() != y.type() || x.count() != y.count() || x.next != y.next) fail("round trip: structure differs");
    const hs::json::Value va(a.input().data(), a.tokens().data(), i);
    const hs::json::Value vb(b.input().data(), b.tokens().data(), i);
    switch (x.type()) {
      case Type::string: if (decoded(va) != decoded(vb)) fail("round trip: string differs"); break;
      case Type::number: {
        if (va.raw() != vb.raw()) fail("round trip: number text differs");
        std::int64_t i1 = 0, i2 = 0;
        double d1 = 0, d2 = 0;
        if (va.get_int64(i1) != vb.get_int64(i2) || i1 != i2) fail("round trip: int64 differs");
        if (va.get_double(d1) != vb.get_double(d2) || !(d1 == d2)) fail("round trip: double differs");
        break;
      }
      case Type::boolean: if (va.as_bool() != vb.as_bool()) fail("round trip: bool differs"); break;
      default: break;
    }
  }
}

// Lookups by each member's decoded key find a member with that key.
void check_find(const hs::json::Document& doc) {
  const auto toks = doc.tokens();
  for (std::uint32_t i = 0; i < toks.size(); ++i) {
    if (toks[i].type() != Type::object) continue;
    const hs::json::Value obj(doc.input().data(), toks.data(), i);
    for (const auto m : obj.members()) {
      const std::string k = decoded(m.key);
      const auto found = obj.find(k);
      if (!found || found.index() > m.value.index() || !hs::json::Value(doc.input().data(), toks.data(), found.index() - 1).equals(k))
        fail("find() missed a key");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  // Full-size token array: limited only by depth.
  const hs::json::Limits big{hs::json::kMaxWriterDepth};
  std::vector<Token> tokens(hs::json::tokens_needed_at_most(size));
  const auto full = hs::json::parse_document(in, tokens, big);
  if (full.error.code == hs::json::Errc::too_many_tokens) {
    // Allowed only for an invalid input: with one token per byte it must
    // then fail for another reason.
    std::vector<Token> per_byte(hs::json::tokens_for_exact_errors(size));
    const auto exact = hs::json::parse(in, per_byte, big);
    if (exact.ok()) fail("memory bound: a valid document needed more than tokens_needed_at_most");
    if (exact.error.code == hs::json::Errc::too_many_tokens) fail("tokens_for_exact_errors was too small");
  }
  if (!full.ok() && full.error.offset > size) fail("error offset past the input");
  if (full.ok()) {
    const std::string s = hs::json::testing::check_structure(in, full.doc.tokens(), big.max_depth);
    if (!s.empty()) fail("structure", s);
  }

  // Small limits derived from the size: they hold, and never accept more.
  const std::size_t cap = size % 23;
  const hs::json::Limits small{static_cast<std::uint32_t>(size % 7)};
  std::vector<Token> few(cap);
  const auto r = hs::json::parse(in, few, small);
  if (r.ok()) {
    if (r.token_count > cap) fail("token limit exceeded");
    const std::string s =
        hs::json::testing::check_structure(in, std::span<const Token>(few.data(), r.token_count), small.max_depth);
    if (!s.empty()) fail("structure under small limits", s);
    if (!full.ok() || full.doc.tokens().size() != r.token_count) fail("small limits accepted what large ones did not");
  } else if (full.ok() && r.error.code != hs::json::Errc::too_many_tokens && r.error.code != hs::json::Errc::too_deep) {
    fail("small limits rejected a valid document for a non-limit reason");
  }
  if (!full.ok()) return 0;

  check_find(full.doc);

  // Write back and parse again.
  std::vector<char> out(size + 1);
  hs::json::Writer w(out);
  if (!write_back(full.doc, w)) {
    char m[64];
    std::snprintf(m, sizeof m, "%s", hs::json::message(w.status()));
    fail("writer could not write an accepted document back", m);
  }
  std::vector<Token> tokens2(hs::json::tokens_needed_at_most(w.size()));
  const auto again = hs::json::parse_document(w.view(), tokens2, big);
  if (!again.ok()) fail("writer output rejected", std::string(w.view()));
  compare(full.doc, again.doc);
  return 0;
}
