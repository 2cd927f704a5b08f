// Value tables of the oracle's models (see values.hpp).
#include "tests/oracle/values.hpp"

namespace backflow::oracle {

const std::vector<normalised_pair>& plain_names() {
  static const std::vector<normalised_pair> table = {
      {"John", "john"},   {"MARY", "mary"},     {"alice", "alice"},
      {"Bob", "bob"},     {"ZOE", "zoe"},       {"McDonald", "mcdonald"},
      {"Smith", "smith"}, {"NGUYEN", "nguyen"}, {"Kowalski", "kowalski"},
      {"Lee", "lee"}};
  return table;
}

const std::vector<normalised_pair>& hostile_names() {
  static const std::vector<normalised_pair> table = {
      // Latin with diacritics: capitals beyond ASCII.
      {"ÉMILE", "émile"},
      {"MÜLLER", "müller"},
      {"Émile", "émile"},
      {"ØSTERGÅRD", "østergård"},
      {"ŁUKASZ", "łukasz"},
      {"ÀNGEL", "àngel"},
      {"ÇELIK", "çelik"},
      {"JOSÉ", "josé"},
      {"NUÑEZ", "nuñez"},
      // Cyrillic.
      {"ДМИТРИЙ", "дмитрий"},
      {"Ёлкин", "ёлкин"},
      {"НАТАЛЬЯ", "наталья"},
      // Greek, avoiding a final capital sigma (its lowercase depends on position).
      {"ΕΛΕΝΗ", "ελενη"},
      {"ΝΙΚΟΛΑΟΥ", "νικολαου"},
      // CJK has no case.
      {"山田", "山田"},
      {"王", "王"},
      // Punctuation goes.
      {"O'NEIL", "oneil"},
      {"D'ANGELO", "dangelo"}};
  return table;
}

const std::vector<std::string>& float_literals() {
  static const std::vector<std::string> table = {"19.99",     "0.1",  "0.3",   "-2.75",
                                                 "1234.5678", "100",  "7.125", "99999.99",
                                                 "0.07",      "-0.5", "3.3",   "1.1"};
  return table;
}

const std::vector<std::string>& big_integers() {
  static const std::vector<std::string> table = {"9007199254740993",
                                                 "9007199254740992",
                                                 "-9007199254740993",
                                                 "9223372036854775807",
                                                 "-9223372036854775808",
                                                 "123456789012345678",
                                                 "42",
                                                 "0",
                                                 "18014398509481985",
                                                 "-1"};
  return table;
}

const std::vector<std::string>& plain_decimals() {
  static const std::vector<std::string> table = {"12.5", "0.25", "-3.75", "1000", "0.5", "19.99"};
  return table;
}

const std::vector<std::string>& exact_decimals() {
  static const std::vector<std::string> table = {"12345678901234567.89",
                                                 "99999999999999999999999999999999999999",
                                                 "1234567890123456789012345678.123456789",
                                                 "-0.000000000000000000123456789012345678",
                                                 "9007199254740993.5",
                                                 "0.1000000000000000055511151231257827"};
  return table;
}

const std::vector<std::string>& texts() {
  static const std::vector<std::string> table = {
      "gold",        "silver",        "Zoë",        "Ærøskøbing",        "東京都",
      "Ελλάδα",      "Привет, мир",   "مرحبا",      "emoji 🎉 party",     "quote \" here",
      "back\\slash", "tab\tand more", "two\nlines", "comma, \"quoted\"", "a|b|c",
      "  padded  ",  "Ünïcödé ÇÅPS"};
  return table;
}

const std::vector<std::string>& separator_parts() {
  static const std::vector<std::string> table = {"x|y", "y|z",   "x",   "z",     "a\\",   "\\|",
                                                 "|",   "b\\|c", "q\\", "|lead", "trail|"};
  return table;
}

}  // namespace backflow::oracle
