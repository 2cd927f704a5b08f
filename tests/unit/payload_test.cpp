// Payload helpers connectors share: cells as JSON, account ids, URLs, keys; crypto and redaction.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "pipelines/core/crypto.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/delivery/destination.hpp"
#include "pipelines/delivery/payload.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(payload_helpers)

BOOST_AUTO_TEST_CASE(cells_become_json_values) {
  BOOST_TEST(cell_to_json(null()).is_null());
  BOOST_TEST(cell_to_json(null(), "") == json(""));
  BOOST_TEST(cell_to_json(cell::of_bool(true)) == json(true));
  BOOST_TEST(cell_to_json(num(-5)) == json(-5));
  BOOST_TEST(cell_to_json(real(2.5)) == json(2.5));
  BOOST_TEST(cell_to_json(cell::of_decimal("1.50")) == json("1.50"));
  BOOST_TEST(cell_to_json(real(std::nan(""))).is_null());
  BOOST_TEST(cell_to_json(real(INFINITY)).is_null());
  BOOST_TEST(cell_to_json(txt("x")) == json("x"));
  BOOST_TEST(cell_to_json(cell::of_text("2024-01-01T00:00:00Z", cell_type::timestamp)) ==
             json("2024-01-01T00:00:00Z"));
}

BOOST_AUTO_TEST_CASE(fields_become_a_json_object) {
  auto row = encode_row({num(1), null(), txt("x")});
  BOOST_TEST(fields_to_json({"a", "b", "c"}, row) == json({{"a", 1}, {"b", nullptr}, {"c", "x"}}));
  BOOST_TEST(fields_to_json({"a", "b", "c"}, row, "") == json({{"a", 1}, {"b", ""}, {"c", "x"}}));
  BOOST_TEST(fields_to_json({"a", "b", "c", "d"}, row).size() == 3u);  // stops at the row's end
  BOOST_TEST(fields_to_json({}, row) == json::object());
}

// Hostile numbers: past 2^53, 38 and 40 digits, tiny, negative zero, values a double gets wrong.
BOOST_AUTO_TEST_CASE(exact_bodies_write_decimals_digit_for_digit) {
  const std::string big38 = "-99999999999999999999999999999999999999";
  auto row = encode_row({cell::of_decimal("12345678901234567.89"), num(9007199254740993),
                         cell::of_decimal(big38), cell::of_decimal("0.0000001"),
                         cell::of_decimal("1.50"), real(19.99), real(-0.0), real(1e-7),
                         real(203.9592452934872), null()});
  std::vector<std::string> names = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  auto body = dump_exact(json{{"fields", fields_to_json(names, row, nullptr, number_style::exact)}});
  BOOST_TEST(body == R"({"fields":{"a":12345678901234567.89,"b":9007199254740993,"c":)" + big38 +
                         R"(,"d":0.0000001,"e":1.50,"f":19.99,"g":0,"h":1e-07,)"
                         R"("i":203.9592452934872,"j":null}})");
  // Still JSON: a parser reads the same numbers back (as doubles, where it must).
  auto parsed = json::parse(body);
  BOOST_TEST(parsed["fields"]["b"].get<int64_t>() == 9007199254740993);
  BOOST_TEST(parsed["fields"]["f"].get<double>() == 19.99);
  // HubSpot's style: reals as numbers, decimals as their exact text.
  auto text = dump_exact(fields_to_json({"a", "b", "c", "d", "e", "f"}, row, "",
                                        number_style::exact_decimal_strings));
  BOOST_TEST(text == R"({"a":"12345678901234567.89","b":9007199254740993,"c":")" + big38 +
                         R"(","d":"0.0000001","e":"1.50","f":19.99})");
  // Plain style is safe for any dump(): decimals as strings, no tokens anywhere.
  auto plain = fields_to_json({"a"}, row).dump();
  BOOST_TEST(plain == R"({"a":"12345678901234567.89"})");
}

BOOST_AUTO_TEST_CASE(bytes_become_base64_strings) {
  // printf '\x00\xff\x10\x80bin\nary' | base64
  auto row = encode_row({cell::of_bytes(std::string("\x00\xff\x10\x80" "bin\nary", 11))});
  BOOST_TEST(fields_to_json({"photo"}, row) == json({{"photo", "AP8QgGJpbgphcnk="}}));
  BOOST_TEST(dump_exact(fields_to_json({"photo"}, row, nullptr, number_style::exact)) ==
             R"({"photo":"AP8QgGJpbgphcnk="})");
}

BOOST_AUTO_TEST_CASE(exact_numbers_cannot_be_forged_or_break_the_json) {
  // Not a number by JSON's grammar: stays a string.
  auto one = [](const json& value) { return json::object({{"v", value}}); };
  for (const char* bad : {"0x1A", "NaN", "inf", "1,5", "", "01", "+1", "1.", ".5", "1e", "\"1"})
    BOOST_TEST(dump_exact(one(exact_number(bad))) == one(bad).dump(), bad);
  // A string that merely looks like a token (without this process's secret) is left alone,
  // and so is a real token used as an object key or quoted inside another string.
  auto token = exact_number("5").get<std::string>();
  BOOST_TEST(token.size() > 40u);
  BOOST_TEST(token.find("bf-exact-number:") == 0u);
  auto lookalike = "bf-exact-number:00000000000000000000000000000000:5";
  BOOST_TEST(dump_exact(one(lookalike)) == one(lookalike).dump());
  json tricky = {{token, 1}, {"quoted", "x\"" + token + "\""}, {"n", exact_number("5")}};
  BOOST_TEST(dump_exact(tricky) == "{\"" + token + "\":1,\"n\":5,\"quoted\":" +
                                       json("x\"" + token + "\"").dump() + "}");
  auto reparsed = json::parse(dump_exact(tricky));
  BOOST_TEST(reparsed["n"] == 5);
  BOOST_TEST(reparsed["quoted"] == "x\"" + token + "\"");
  BOOST_TEST(reparsed.contains(token));
  // Many numbers in one body, in arrays too.
  json many = json::array();
  for (int i = 0; i < 100; ++i)
    many.push_back(exact_number(std::to_string(i) + ".10"));
  auto dumped = dump_exact(many);
  BOOST_TEST(dumped.substr(0, 12) == "[0.10,1.10,2");
  BOOST_TEST(json::parse(dumped).size() == 100u);
}

BOOST_AUTO_TEST_CASE(account_ids_hide_the_credential) {
  // printf '%s' 'pat-secret' | sha256sum | cut -c1-16
  BOOST_TEST(account_id("hubspot", "https://api.hubapi.com", "pat-secret") ==
             "hubspot:https://api.hubapi.com#2f8e921eb891495b");
  BOOST_TEST(account_id("hubspot", "https://api.hubapi.com", "other") !=
             account_id("hubspot", "https://api.hubapi.com", "pat-secret"));
}

BOOST_AUTO_TEST_CASE(urls_join_with_one_slash) {
  BOOST_TEST(join_url("http://h:1/", "/crm/v3") == "http://h:1/crm/v3");
  BOOST_TEST(join_url("http://h:1//", "crm") == "http://h:1/crm");
  BOOST_TEST(join_url("http://h:1", "/crm") == "http://h:1/crm");
  BOOST_TEST(join_url("http://h/base", "x") == "http://h/base/x");
}

BOOST_AUTO_TEST_CASE(ops_and_modes_for_display) {
  BOOST_TEST(std::string(to_string(delivery_op::remove)) == "remove");
  BOOST_TEST(std::string(to_string(delivery_op::insert)) == "insert");
  BOOST_TEST(std::string(to_string(sync_mode::audience)) == "audience");
  BOOST_TEST(std::string(to_string(sync_mode::mirror)) == "mirror");
}

BOOST_AUTO_TEST_CASE(base64_and_hex) {
  BOOST_TEST(base64_encode("hello") == "aGVsbG8=");
  BOOST_TEST(base64_encode("") == "");
  BOOST_TEST(*base64_decode("aGVsbG8=") == "hello");
  BOOST_TEST(*base64_decode("YQ==") == "a");
  BOOST_TEST(*base64_decode("YWI=") == "ab");
  BOOST_TEST(!base64_decode("abc"));
  BOOST_TEST(!base64_decode("!!!!"));
  std::string all_bytes;
  for (int i = 0; i < 256; ++i)
    all_bytes.push_back(static_cast<char>(i));
  BOOST_TEST(*base64_decode(base64_encode(all_bytes)) == all_bytes);
  BOOST_TEST(hex_encode(std::string("\x00\xff\x10", 3)) == "00ff10");
  BOOST_TEST(is_sha256_hex(std::string(64, 'A')));
  BOOST_TEST(!is_sha256_hex(std::string(64, 'g')));
  BOOST_TEST(!is_sha256_hex(std::string(65, 'a')));
}

BOOST_AUTO_TEST_CASE(registered_secrets_are_scrubbed) {
  register_secret("abc");  // too short to register
  register_secret("tok-1234");
  register_secret("tok-1234-extended");
  BOOST_TEST(redact_secrets("abc tok-1234 and tok-1234-extended, tok-1234tok-1234") ==
             "abc *** and ***, ******");
}

BOOST_AUTO_TEST_SUITE_END()
