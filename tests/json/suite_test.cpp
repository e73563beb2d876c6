// The JSONTestSuite (nst/JSONTestSuite test_parsing/, read from ../shared):
// one test per file. y_ must be accepted, n_ rejected, i_ files get the
// verdict documented in the table below (and in README.md); all must not crash.
// The input is placed right before an unreadable page so any over-read faults.
#include "json/json.hpp"
#include "tests/json/structure_check.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using hs::json::Errc;

const fs::path kSuiteDir = fs::path(HS_SHARED_DIR) / "testdata" / "JSONTestSuite" / "test_parsing";
constexpr const char* kMissing = "suite_missing";

bool shared_required() {
  const char* v = std::getenv("HS_REQUIRE_SHARED");
  return v != nullptr && std::string(v) == "1";
}

#define SKIP_OR_FAIL_MISSING()                                                                   \
  do {                                                                                           \
    if (shared_required()) FAIL() << "JSONTestSuite not found at " << kSuiteDir                  \
                                  << " and HS_REQUIRE_SHARED=1";                                 \
    GTEST_SKIP() << "JSONTestSuite not found at " << kSuiteDir                                   \
                 << " (set HS_SHARED_DIR at configure time; HS_REQUIRE_SHARED=1 makes this fail)"; \
  } while (0)

// Decisions for the implementation-defined i_ files: Errc::ok = accepted.
const std::map<std::string, Errc>& i_decisions() {
  static const std::map<std::string, Errc> m = {
      {"i_number_double_huge_neg_exp.json", Errc::ok},
      {"i_number_huge_exp.json", Errc::ok},
      {"i_number_neg_int_huge_exp.json", Errc::ok},
      {"i_number_pos_double_huge_exp.json", Errc::ok},
      {"i_number_real_neg_overflow.json", Errc::ok},
      {"i_number_real_pos_overflow.json", Errc::ok},
      {"i_number_real_underflow.json", Errc::ok},
      {"i_number_too_big_neg_int.json", Errc::ok},
      {"i_number_too_big_pos_int.json", Errc::ok},
      {"i_number_very_big_negative_int.json", Errc::ok},
      {"i_object_key_lone_2nd_surrogate.json", Errc::lone_surrogate},
      {"i_string_1st_surrogate_but_2nd_missing.json", Errc::lone_surrogate},
      {"i_string_1st_valid_surrogate_2nd_invalid.json", Errc::lone_surrogate},
      {"i_string_UTF-16LE_with_BOM.json", Errc::expected_value},
      {"i_string_UTF-8_invalid_sequence.json", Errc::invalid_utf8},
      {"i_string_UTF8_surrogate_U+D800.json", Errc::invalid_utf8},
      {"i_string_incomplete_surrogate_and_escape_valid.json", Errc::lone_surrogate},
      {"i_string_incomplete_surrogate_pair.json", Errc::lone_surrogate},
      {"i_string_incomplete_surrogates_escape_valid.json", Errc::lone_surrogate},
      {"i_string_invalid_lonely_surrogate.json", Errc::lone_surrogate},
      {"i_string_invalid_surrogate.json", Errc::lone_surrogate},
      {"i_string_invalid_utf-8.json", Errc::invalid_utf8},
      {"i_string_inverted_surrogates_U+1D11E.json", Errc::lone_surrogate},
      {"i_string_iso_latin_1.json", Errc::invalid_utf8},
      {"i_string_lone_second_surrogate.json", Errc::lone_surrogate},
      {"i_string_lone_utf8_continuation_byte.json", Errc::invalid_utf8},
      {"i_string_not_in_unicode_range.json", Errc::invalid_utf8},
      {"i_string_overlong_sequence_2_bytes.json", Errc::invalid_utf8},
      {"i_string_overlong_sequence_6_bytes.json", Errc::invalid_utf8},
      {"i_string_overlong_sequence_6_bytes_null.json", Errc::invalid_utf8},
      {"i_string_truncated-utf-8.json", Errc::invalid_utf8},
      {"i_string_utf16BE_no_BOM.json", Errc::expected_value},
      {"i_string_utf16LE_no_BOM.json", Errc::expected_value},
      {"i_structure_500_nested_arrays.json", Errc::ok},
      {"i_structure_UTF-8_BOM_empty_object.json", Errc::expected_value},
  };
  return m;
}

// File names, listed when the test binary starts (gtest_discover_tests runs
// the binary, so ctest sees one test per file).
std::vector<std::string> suite_files() {
  std::vector<std::string> names;
  std::error_code ec;
  if (fs::is_directory(kSuiteDir, ec)) {
    for (const auto& e : fs::directory_iterator(kSuiteDir, ec)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && name.size() > 5 && name.ends_with(".json") &&
          (name[0] == 'y' || name[0] == 'n' || name[0] == 'i') && name[1] == '_')
        names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) names.push_back(kMissing);
  return names;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Copies `s` so that its last byte is the last readable byte before a
// PROT_NONE page; place() reuses the mapping for a shorter input.
class GuardedCopy {
public:
  explicit GuardedCopy(const std::string& s) {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    data_pages_ = (s.size() + page - 1) / page + 1;
    size_ = (data_pages_ + 1) * page;
    void* m = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return;
    base_ = static_cast<char*>(m);
    guard_ = base_ + data_pages_ * page;
    mprotect(guard_, page, PROT_NONE);
    place(s);
  }
  ~GuardedCopy() {
    if (base_ != nullptr) munmap(base_, size_);
  }
  GuardedCopy(const GuardedCopy&) = delete;
  GuardedCopy& operator=(const GuardedCopy&) = delete;
  std::string_view place(std::string_view s) {
    data_ = guard_ - s.size();
    if (!s.empty()) std::memcpy(data_, s.data(), s.size());
    len_ = s.size();
    return view();
  }
  std::string_view view() const { return {data_, len_}; }
  bool ok() const { return base_ != nullptr; }

private:
  char* base_ = nullptr;
  char* guard_ = nullptr;
  char* data_ = nullptr;
  std::size_t size_ = 0, len_ = 0, data_pages_ = 0;
};

struct Verdict {
  hs::json::Error error;
  std::string structure;  // "" when the tokens check out (accepted only)
};

Verdict run_parser(const std::string& bytes) {
  GuardedCopy g(bytes);
  EXPECT_TRUE(g.ok());
  std::vector<hs::json::Token> tokens(hs::json::tokens_needed_at_most(bytes.size()));
  const hs::json::Limits limits{};
  const auto r = hs::json::parse(g.view(), tokens, limits);
  Verdict v{r.error, {}};
  if (r.ok())
    v.structure = hs::json::testing::check_structure(
        g.view(), std::span<const hs::json::Token>(tokens.data(), r.token_count), limits.max_depth);
  return v;
}

class JsonTestSuite : public ::testing::TestWithParam<std::string> {};

TEST_P(JsonTestSuite, Verdict) {
  const std::string& name = GetParam();
  if (name == kMissing) SKIP_OR_FAIL_MISSING();
  const std::string bytes = read_file(kSuiteDir / name);
  const Verdict v = run_parser(bytes);
  char msg[96];
  const std::string text(hs::json::format_error(v.error, msg));
  if (name[0] == 'y') {
    EXPECT_TRUE(v.error.ok()) << name << ": " << text;
    EXPECT_EQ(v.structure, "");
  } else if (name[0] == 'n') {
    EXPECT_FALSE(v.error.ok()) << name << " was accepted";
  } else {
    const auto it = i_decisions().find(name);
    if (it == i_decisions().end()) {
      std::printf("%s: no documented decision; got %s\n", name.c_str(), text.c_str());
      return;  // not crashing is all we require of an unknown i_ file
    }
    EXPECT_EQ(static_cast<int>(v.error.code), static_cast<int>(it->second))
        << name << ": got " << text << ", documented " << hs::json::message(it->second);
    if (v.error.ok()) {
      EXPECT_EQ(v.structure, "");
    }
  }
}

// Every proper prefix of an accepted file (up to 2 KB) ends right before the
// guard page: the parser must reject it or accept a shorter valid document,
// with the error offset inside the prefix, and never read past it.
class JsonTestSuitePrefixes : public ::testing::TestWithParam<std::string> {};

TEST_P(JsonTestSuitePrefixes, NeverOverread) {
  const std::string& name = GetParam();
  if (name == kMissing) SKIP_OR_FAIL_MISSING();
  const std::string bytes = read_file(kSuiteDir / name);
  GuardedCopy g(bytes);
  ASSERT_TRUE(g.ok());
  std::vector<hs::json::Token> tokens(hs::json::tokens_for_exact_errors(bytes.size()));
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    const std::string_view in = g.place(std::string_view(bytes).substr(0, len));
    const auto r = hs::json::parse(in, tokens);
    if (r.ok()) {
      EXPECT_EQ(hs::json::testing::check_structure(in, std::span<const hs::json::Token>(tokens.data(), r.token_count),
                                                   hs::json::kDefaultMaxDepth),
                "");
    } else {
      EXPECT_LE(r.error.offset, len);
      EXPECT_NE(r.error.code, Errc::too_many_tokens);
    }
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  if (s.ends_with(".json")) s.resize(s.size() - 5);
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s + "_" + std::to_string(info.index);  // index keeps sanitised names unique
}

INSTANTIATE_TEST_SUITE_P(Files, JsonTestSuite, ::testing::ValuesIn(suite_files()), test_name);

// The y_ files of at most 2 KB.
std::vector<std::string> small_y_files() {
  std::vector<std::string> out;
  for (const auto& name : suite_files()) {
    std::error_code ec;
    if (name == kMissing || (name[0] == 'y' && fs::file_size(kSuiteDir / name, ec) <= 2048 && !ec))
      out.push_back(name);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Files, JsonTestSuitePrefixes, ::testing::ValuesIn(small_y_files()), test_name);

// The totals the issue asks for, in one place.
TEST(JsonTestSuiteTotals, AllYAcceptedAllNRejected) {
  const auto names = suite_files();
  if (names.size() == 1 && names[0] == kMissing) SKIP_OR_FAIL_MISSING();
  int y = 0, y_ok = 0, n = 0, n_rej = 0, i = 0;
  for (const auto& name : names) {
    const Verdict v = run_parser(read_file(kSuiteDir / name));
    if (name[0] == 'y') ++y, y_ok += v.error.ok();
    if (name[0] == 'n') ++n, n_rej += !v.error.ok();
    if (name[0] == 'i') ++i;
  }
  std::printf("JSONTestSuite: y_ accepted %d/%d, n_ rejected %d/%d, i_ files %d\n", y_ok, y, n_rej, n, i);
  EXPECT_EQ(y, 95);
  EXPECT_EQ(n, 188);
  EXPECT_EQ(y_ok, y);
  EXPECT_EQ(n_rej, n);
  EXPECT_EQ(static_cast<std::size_t>(i), i_decisions().size());
}

}  // namespace
