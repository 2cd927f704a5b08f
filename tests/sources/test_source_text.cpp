// Unit tests of the sources' text helpers: timestamps, booleans, hex, query trimming, redaction.
#define BOOST_TEST_MODULE source_text
#include <boost/test/unit_test.hpp>

#include "connectors/sources/source_text.hpp"

using namespace backflow;

namespace {

std::string normalised(std::string_view in) {
  std::string out;
  return normalise_timestamp(in, out) ? out : "<not a timestamp>";
}

std::string iso(int64_t seconds) {
  std::string out;
  return unix_seconds_to_iso(seconds, out) ? out : "<out of range>";
}

}  // namespace

BOOST_AUTO_TEST_CASE(timestamps_become_iso_8601) {
  BOOST_TEST(normalised("2024-01-05 10:00:00") == "2024-01-05T10:00:00");
  BOOST_TEST(normalised("2024-01-05T10:00:00") == "2024-01-05T10:00:00");
  BOOST_TEST(normalised("2024-01-05") == "2024-01-05");
  BOOST_TEST(normalised("2024-01-05 10:00") == "2024-01-05T10:00");
  BOOST_TEST(normalised("2024-01-05 10:00:00.123456") == "2024-01-05T10:00:00.123456");
  BOOST_TEST(normalised("2024-01-05 10:00:00+00") == "2024-01-05T10:00:00+00:00");
  BOOST_TEST(normalised("2024-01-05 10:00:00.5-03") == "2024-01-05T10:00:00.5-03:00");
  BOOST_TEST(normalised("2024-01-05 10:00:00+05:30") == "2024-01-05T10:00:00+05:30");
  BOOST_TEST(normalised("2024-01-05 10:00:00+0530") == "2024-01-05T10:00:00+05:30");
  BOOST_TEST(normalised("1850-01-01 00:00:00+05:53:28") == "1850-01-01T00:00:00+05:53:28");
  BOOST_TEST(normalised("2024-01-05T10:00:00Z") == "2024-01-05T10:00:00Z");
  BOOST_TEST(normalised("2024-01-05 10:00:00+00:00") == "2024-01-05T10:00:00+00:00");
}

BOOST_AUTO_TEST_CASE(other_text_is_not_a_timestamp) {
  for (const char* text : {"infinity", "-infinity", "", "2024-01-05 BC", "0044-03-15 12:00:00 BC",
                           "2024-1-5", "2024-01-05 10", "2024-01-05 10:00:00 UTC",
                           "2024-01-05 10:00:00Zx", "2024-01-05 10:00:00.", "yesterday"})
    BOOST_TEST(normalised(text) == "<not a timestamp>", "'" << text << "'");
}

BOOST_AUTO_TEST_CASE(unix_seconds_become_utc_timestamps) {
  BOOST_TEST(iso(0) == "1970-01-01T00:00:00Z");
  BOOST_TEST(iso(1704448800) == "2024-01-05T10:00:00Z");
  BOOST_TEST(iso(-1) == "1969-12-31T23:59:59Z");
  BOOST_TEST(iso(951782400) == "2000-02-29T00:00:00Z");
  BOOST_TEST(iso(253402300799) == "9999-12-31T23:59:59Z");
  BOOST_TEST(iso(-62167219200) == "0000-01-01T00:00:00Z");
  BOOST_TEST(iso(253402300800) == "<out of range>");
  BOOST_TEST(iso(-62167219201) == "<out of range>");
}

BOOST_AUTO_TEST_CASE(boolean_texts) {
  bool v = false;
  for (const char* yes : {"true", "TRUE", "t", "T", "1"}) {
    BOOST_TEST(parse_boolean_text(yes, v));
    BOOST_TEST(v);
  }
  for (const char* no : {"false", "False", "f", "0"}) {
    BOOST_TEST(parse_boolean_text(no, v));
    BOOST_TEST(!v);
  }
  for (const char* other : {"yes", "", "2", "tru"})
    BOOST_TEST(!parse_boolean_text(other, v));
}

BOOST_AUTO_TEST_CASE(bytea_hex_output_decodes_to_bytes) {
  std::string out = "stale";
  BOOST_TEST(decode_bytea_hex("\\x00ff10AB", out));
  BOOST_TEST(out == std::string("\x00\xff\x10\xab", 4));
  BOOST_TEST(decode_bytea_hex("\\x", out));
  BOOST_TEST(out.empty());
  for (const char* bad : {"", "00ff", "\\x0", "\\x0g", "\\000"})
    BOOST_TEST(!decode_bytea_hex(bad, out), bad);
}

BOOST_AUTO_TEST_CASE(trailing_semicolons_are_stripped) {
  BOOST_TEST(strip_query_terminator("SELECT 1;") == "SELECT 1");
  BOOST_TEST(strip_query_terminator("SELECT 1 ; \n\t;  ") == "SELECT 1");
  BOOST_TEST(strip_query_terminator("SELECT ';'") == "SELECT ';'");
  BOOST_TEST(strip_query_terminator(" ; ").empty());
}

BOOST_AUTO_TEST_CASE(duplicate_columns_are_named) {
  schema cols{
      {"id", column_kind::integer}, {"email", column_kind::text}, {"id", column_kind::text}};
  auto st = check_unique_columns(cols);
  BOOST_REQUIRE(!st.ok());
  BOOST_TEST(st.error().message ==
             "source.query: the query returns column \"id\" twice; give each column a unique name");
  cols.pop_back();
  BOOST_TEST(check_unique_columns(cols).ok());
}

BOOST_AUTO_TEST_CASE(passwords_are_redacted) {
  const std::string secret = "Sup3rS3cret";
  struct example {
    std::string dsn;
    std::string message;
  };
  std::vector<example> examples{
      {"host=db password=" + secret, "failed for dsn host=db password=" + secret + " now"},
      {"host=db password='" + secret + " x'", "bad: password='" + secret + " x' end"},
      {"host=db password = " + secret, "echo " + secret + "!"},
      {"postgresql://bob:" + secret + "@db:5432/app", "bad URI postgresql://bob:" + secret + "@db"},
      {"postgresql://bob:Sup3r%533cret@db/app", "decoded Sup3rS3cret and raw Sup3r%533cret"},
      {"postgresql://db/app?user=bob&password=" + secret + "&sslmode=require",
       "query password=" + secret + "&sslmode"},
      {"host=db", "a message naming password=" + secret + " on its own"},
      {"host=db sslpassword=" + secret, "key pass " + secret},
  };
  for (const auto& e : examples) {
    std::string out = redact_secrets(e.message, e.dsn);
    BOOST_TEST(out.find("S3cret") == std::string::npos, e.dsn << " -> " << out);
    BOOST_TEST(out.find("53cret") == std::string::npos, e.dsn << " -> " << out);
    BOOST_TEST(out.find("***") != std::string::npos, e.dsn << " -> " << out);
  }
  BOOST_TEST(redact_secrets("role \"bob\" does not exist", "host=db user=bob password=pw") ==
             "role \"bob\" does not exist");
  BOOST_TEST(redact_secrets("x hunter2 y", "host=db", {"hunter2"}) == "x *** y");
}

BOOST_AUTO_TEST_CASE(library_messages_on_one_line) {
  BOOST_TEST(one_line("connection refused\n\tIs the server running?\n") ==
             "connection refused Is the server running?");
}

BOOST_AUTO_TEST_CASE(parse_errors_hide_quoted_fragments) {
  BOOST_TEST(hide_quoted_fragments("missing \"=\" after \"S3cret\" in connection info string") ==
             "missing \"=\" after \"...\" in connection info string");
  BOOST_TEST(hide_quoted_fragments("invalid connection option \"hots\"") ==
             "invalid connection option \"hots\"");
}
