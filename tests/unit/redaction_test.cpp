// Secrets are scrubbed in every form they take in text: raw, JSON-escaped, percent-encoded, hex,
// base64 alone and inside a longer value. Expected forms are written out by hand here.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/redaction.hpp"

using namespace backflow;

BOOST_AUTO_TEST_SUITE(redaction)

BOOST_AUTO_TEST_CASE(every_form_of_a_secret_is_replaced) {
  redactor r({R"(tok"en\x/y z)"});
  // raw, JSON-escaped, percent-encoded (upper and lower hex, '+' for a space).
  BOOST_TEST(r.text(R"(a tok"en\x/y z b)") == "a *** b");
  BOOST_TEST(r.text(R"({"reason":"bad tok\"en\\x/y z"})") == R"({"reason":"bad ***"})");
  BOOST_TEST(r.text("q=tok%22en%5Cx%2Fy%20z&") == "q=***&");
  BOOST_TEST(r.text("q=tok%22en%5cx%2fy%20z&") == "q=***&");
  BOOST_TEST(r.text("q=tok%22en%5Cx%2Fy+z&") == "q=***&");
  // hex and base64 of the secret alone: printf '%s' 'tok"en\x/y z' | base64 → dG9rImVuXHgveSB6
  BOOST_TEST(r.text("746f6b22656e5c782f79207a") == "***");
  BOOST_TEST(r.text("Basic dG9rImVuXHgveSB6") == "Basic ***");
  // Inside a longer base64 value: printf '%s' 'user:tok"en\x/y z' | base64 → dXNlcjp0b2siZW5ceC95IHo=
  BOOST_TEST(r.text("Authorization: Basic dXNlcjp0b2siZW5ceC95IHo=").find("0b2siZW5ceC95") ==
             std::string::npos);
  // Ordinary text stays.
  BOOST_TEST(r.text("1000 delivered, token refused") == "1000 delivered, token refused");
}

BOOST_AUTO_TEST_CASE(short_or_numeric_values_are_not_secrets) {
  redactor r({"abc", "123456789", ""});
  BOOST_TEST(r.empty());
  BOOST_TEST(r.text("abc 123456789") == "abc 123456789");
}

BOOST_AUTO_TEST_CASE(json_values_are_redacted_in_keys_and_strings) {
  redactor r({"sekret-value"});
  nlohmann::json j = {{"error", "HTTP 401: sekret-value"}, {"sekret-value", 1}, {"n", 5},
                      {"list", {"x sekret-value"}}};
  auto out = r.json(j);
  BOOST_TEST(out.dump().find("sekret-value") == std::string::npos);
  BOOST_TEST(out["n"] == 5);
  BOOST_TEST(out["error"] == "HTTP 401: ***");
}

BOOST_AUTO_TEST_SUITE_END()
