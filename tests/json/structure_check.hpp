// Shared by the JSON tests and the fuzzer: checks the invariants of a token
// array produced by hs::json::parse() (links, counts, offsets, depth).
#pragma once

#include "json/parser.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hs::json::testing {

// Returns "" when the tokens are consistent, else a description of the first
// problem. Iterative (the fuzzer feeds deep documents).
inline std::string check_structure(std::string_view in, std::span<const Token> t, std::uint32_t max_depth) {
  const auto n = static_cast<std::uint32_t>(t.size());
  if (n == 0) return "no tokens";
  if (t[0].next != n) return "root.next != token count";
  struct Frame { std::uint32_t index; std::uint32_t child; std::uint32_t left; };
  std::vector<Frame> stack;
  std::uint32_t i = 0;
  auto fail = [&](const char* what) { return std::string(what) + " at token " + std::to_string(i); };
  auto check_leaf = [&](const Token& k) -> const char* {
    if (k.start > k.end || k.end > in.size()) return "offsets out of range";
    if (k.count() != 0) return "scalar with children";
    switch (k.type()) {
      case Type::string:
        if (k.start == 0 || in[k.start - 1] != '"' || k.end >= in.size() || in[k.end] != '"') return "string not quoted";
        if ((in.substr(k.start, k.end - k.start).find('\\') != std::string_view::npos) != k.escaped())
          return "escaped flag wrong";
        break;
      case Type::number: if (k.start == k.end) return "empty number"; break;
      case Type::boolean: {
        const auto s = in.substr(k.start, k.end - k.start);
        if (s != "true" && s != "false") return "bad boolean";
        break;
      }
      case Type::null: if (in.substr(k.start, k.end - k.start) != "null") return "bad null"; break;
      default: return "bad type";
    }
    return nullptr;
  };
  // Visit token i as a value; containers push a frame.
  for (;;) {
    const Token& k = t[i];
    if (k.next <= i || k.next > n) return fail("bad next link");
    if (k.type() == Type::object || k.type() == Type::array) {
      const bool obj = k.type() == Type::object;
      if (k.end > in.size() || k.end < k.start + 2) return fail("container offsets");
      if (in[k.start] != (obj ? '{' : '[') || in[k.end - 1] != (obj ? '}' : ']')) return fail("container brackets");
      if (k.count() == 0 && k.next != i + 1) return fail("empty container with children");
      stack.push_back({i, i + 1, k.count()});
      if (stack.size() > max_depth) return fail("depth above limit");
    } else if (const char* e = check_leaf(k)) {
      return fail(e);
    }
    // Find the next token to visit.
    for (;;) {
      if (stack.empty()) return i + 1 == n || t[0].next == n ? std::string() : fail("trailing tokens");
      Frame& f = stack.back();
      const Token& parent = t[f.index];
      if (f.left == 0) {
        if (f.child != parent.next) return "children do not end at parent.next of token " + std::to_string(f.index);
        stack.pop_back();
        continue;
      }
      --f.left;
      i = f.child;
      if (i >= n) return fail("child index out of range");
      if (parent.type() == Type::object) {
        const Token& key = t[i];
        if (key.type() != Type::string) return fail("object key not a string");
        if (key.next != i + 1 || i + 1 >= n) return fail("key not followed by its value");
        if (const char* e = check_leaf(key)) return fail(e);
        i = i + 1;
      }
      f.child = t[i].next;
      if (t[i].next <= i || t[i].next > n) return fail("bad next link");
      break;
    }
  }
}

}  // namespace hs::json::testing
