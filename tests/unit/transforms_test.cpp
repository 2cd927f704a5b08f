// Text transforms of the mapping: exact outputs, known SHA-256 vectors, nulls passing through.
#include <boost/test/unit_test.hpp>

#include <cctype>

#include "pipelines/mapping/transforms.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using namespace backflow::unit;

namespace {

// printf '%s' '' | sha256sum
const std::string empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string apply(transform_kind t, const cell& in) {
  std::string scratch;
  auto out = apply_transform(t, in, scratch);
  BOOST_TEST((out.type == cell_type::text));
  return std::string(out.text);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(transforms)

BOOST_AUTO_TEST_CASE(names_parse_to_kinds) {
  BOOST_TEST((parse_transform("trim") == transform_kind::trim));
  BOOST_TEST((parse_transform("hash_email") == transform_kind::hash_email));
  BOOST_TEST(!parse_transform("Trim"));
  BOOST_TEST(!parse_transform("reverse"));
  BOOST_TEST(transform_names() ==
             std::vector<std::string>({"trim", "lowercase", "uppercase", "sha256",
                                       "normalize_email", "digits", "hash_email"}));
}

BOOST_AUTO_TEST_CASE(case_and_whitespace) {
  BOOST_TEST(apply(transform_kind::trim, txt(" \t a b \r\n")) == "a b");
  BOOST_TEST(apply(transform_kind::trim, txt("   ")) == "");
  BOOST_TEST(apply(transform_kind::lowercase, txt("MiXeD Case 1")) == "mixed case 1");
  BOOST_TEST(apply(transform_kind::uppercase, txt("MiXeD case 1")) == "MIXED CASE 1");
  BOOST_TEST(apply(transform_kind::normalize_email, txt("  Bob.Smith@Example.COM ")) ==
             "bob.smith@example.com");
  BOOST_TEST(apply(transform_kind::digits, txt("+1 (555) 010-0199 ext. 7")) == "155501001997");
  BOOST_TEST(apply(transform_kind::digits, txt("no digits")) == "");
}

// Expected text written by hand from Unicode's case tables (root locale: no Turkish rules).
BOOST_AUTO_TEST_CASE(case_mapping_is_unicode_and_nfc) {
  auto lower = [](std::string_view s) { return apply(transform_kind::lowercase, txt(s)); };
  auto upper = [](std::string_view s) { return apply(transform_kind::uppercase, txt(s)); };
  BOOST_TEST(lower("ÉMILE MÜLLER") == "émile müller");
  BOOST_TEST(lower("E\u0301MILE") == "émile");  // decomposed É: composed, then lowercased
  BOOST_TEST(lower("STRAẞE") == "straße");      // U+1E9E capital sharp s
  BOOST_TEST(lower("ΑΘΗΝΑ") == "αθηνα");
  BOOST_TEST(lower("МОСКВА") == "москва");
  BOOST_TEST(lower("ISTANBUL İZMİR") == "istanbul i\u0307zmi\u0307r");  // root: İ is i + dot
  BOOST_TEST(lower("東京 ソウル") == "東京 ソウル");  // no case: unchanged
  BOOST_TEST(upper("straße") == "STRASSE");
  BOOST_TEST(upper("émile") == "ÉMILE");
  BOOST_TEST(upper("αθηνα") == "ΑΘΗΝΑ");
  // Not UTF-8: only ASCII letters change, the other bytes stay.
  BOOST_TEST(lower("AB\xff\xc3") == "ab\xff\xc3");
  BOOST_TEST(apply(transform_kind::normalize_email, txt("  ÉMILE.MÜLLER@Exemple.FR ")) ==
             "émile.müller@exemple.fr");
  // printf '%s' 'émile.müller@exemple.fr' | sha256sum
  const std::string emile = "90b36d423cbd7c7860109f6104346288c64d5f64c6dcd3d2377238d722a33a48";
  BOOST_TEST(apply(transform_kind::hash_email, txt("ÉMILE.MÜLLER@EXEMPLE.FR")) == emile);
  BOOST_TEST(apply(transform_kind::hash_email, txt("E\u0301mile.Mu\u0308ller@exemple.fr")) == emile);
}

BOOST_AUTO_TEST_CASE(sha256_matches_independent_vectors) {
  BOOST_TEST(apply(transform_kind::sha256, txt("alice@example.com")) == alice_sha256);
  BOOST_TEST(apply(transform_kind::sha256, txt("")) == empty_sha256);
  // sha256 does not normalise: case and spaces change the hash.
  BOOST_TEST(apply(transform_kind::sha256, txt("Alice@example.com")) != alice_sha256);
}

BOOST_AUTO_TEST_CASE(hash_email_normalises_then_hashes) {
  BOOST_TEST(apply(transform_kind::hash_email, txt("  ALICE@Example.com\n")) == alice_sha256);
  BOOST_TEST(apply(transform_kind::hash_email, txt("alice@example.com")) == alice_sha256);
}

BOOST_AUTO_TEST_CASE(already_hashed_values_pass_through_lowercased) {
  std::string upper = alice_sha256;
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  BOOST_TEST(apply(transform_kind::sha256, txt(alice_sha256)) == alice_sha256);
  BOOST_TEST(apply(transform_kind::sha256, txt(upper)) == alice_sha256);
  BOOST_TEST(apply(transform_kind::hash_email, txt(" " + upper + " ")) == alice_sha256);
  // 63 hex digits is not a hash: it gets hashed.
  auto almost = alice_sha256.substr(1);
  BOOST_TEST(apply(transform_kind::sha256, txt(almost)) != almost);
  BOOST_TEST(apply(transform_kind::sha256, txt(almost)).size() == 64u);
}

BOOST_AUTO_TEST_CASE(non_text_cells_are_rendered_first) {
  BOOST_TEST(apply(transform_kind::lowercase, num(42)) == "42");
  BOOST_TEST(apply(transform_kind::uppercase, cell::of_bool(true)) == "TRUE");
  BOOST_TEST(apply(transform_kind::digits, real(-12.5)) == "125");
}

BOOST_AUTO_TEST_CASE(nulls_pass_through_every_transform) {
  for (const auto& name : transform_names()) {
    std::string scratch = "untouched";
    auto out = apply_transform(*parse_transform(name), null(), scratch);
    BOOST_TEST(out.is_null(), name);
  }
}

BOOST_AUTO_TEST_CASE(the_input_may_view_the_scratch_buffer) {
  std::string scratch = "  MiXed@Example.com ";
  auto in = txt(scratch);
  auto out = apply_transform(transform_kind::normalize_email, in, scratch);
  BOOST_TEST(out.text == "mixed@example.com");
}

BOOST_AUTO_TEST_SUITE_END()
