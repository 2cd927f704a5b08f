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
