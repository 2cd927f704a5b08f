// What a Meta custom audience must hold, from docs/connectors/meta_audience.md (Custom Audiences)
// and the README: exactly one member per distinct identity of the model's rows, an identity being
// each mapped Meta key's value normalised by Meta's rules and SHA-256 hashed to lowercase hex,
// empty values left out; a row without any value is no member. The normaliser below knows only the
// values the oracle generates (values.hpp's hand-written tables and ASCII patterns), and the hash
// comes straight from OpenSSL.
#include <openssl/evp.h>

#include <stdexcept>

#include "tests/oracle/expected.hpp"
#include "tests/oracle/values.hpp"

namespace backflow::oracle {
namespace {

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

const std::string* lookup(const std::vector<normalised_pair>& table, const std::string& raw) {
  for (const auto& p : table)
    if (p.raw == raw)
      return &p.normalised;
  return nullptr;
}

bool ascii(const std::string& text) {
  for (unsigned char c : text)
    if (c >= 0x80)
      return false;
  return true;
}

/// EMAIL: trim, lowercase. The oracle writes e-mails as NAME.SERIAL@DOMAIN where NAME is ASCII
/// or a name of the hand-written tables without punctuation (its normal form is its lowercase).
std::string email(const std::string& raw) {
  auto first = raw.find_first_not_of(' ');
  auto last = raw.find_last_not_of(' ');
  std::string text = first == std::string::npos ? "" : raw.substr(first, last - first + 1);
  const auto dot = text.find('.');
  std::string out;
  std::string rest = text;
  if (dot != std::string::npos && !ascii(text.substr(0, dot))) {
    const auto* known = lookup(hostile_names(), text.substr(0, dot));
    if (known == nullptr || text.substr(0, dot).find('\'') != std::string::npos)
      throw std::logic_error("oracle: no hand-written normal form for e-mail " + raw);
    out = *known;
    rest = text.substr(dot);
  }
  if (!ascii(rest))
    throw std::logic_error("oracle: no hand-written normal form for e-mail " + raw);
  for (auto c : rest)
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  return out;
}

/// FN, LN: lowercase, no punctuation (from the tables only).
std::string name(const std::string& raw) {
  if (const auto* known = lookup(plain_names(), raw))
    return *known;
  if (const auto* known = lookup(hostile_names(), raw))
    return *known;
  throw std::logic_error("oracle: no hand-written normal form for name " + raw);
}

/// PHONE: digits only, no leading zeros.
std::string phone(const std::string& raw) {
  std::string digits;
  for (char c : raw)
    if (c >= '0' && c <= '9' && !(digits.empty() && c == '0'))
      digits.push_back(c);
  return digits;
}

std::string normalise(const std::string& meta_key, const cell& value) {
  if (value.type == cell::kind::null || value.text.empty())
    return {};
  if (meta_key == "EMAIL")
    return email(value.text);
  if (meta_key == "FN" || meta_key == "LN")
    return name(value.text);
  if (meta_key == "PHONE")
    return phone(value.text);
  throw std::logic_error("oracle: the oracle does not generate values for Meta key " + meta_key);
}

}  // namespace

expected_state expected_meta(const model_view& model) {
  expected_state out;
  for (const auto& r : model.rows) {
    nlohmann::json identity = nlohmann::json::object();
    std::string values;
    for (const auto& m : model.setup.mapping) {
      auto normal = normalise(m.to, r.at(m.from));
      if (normal.empty())
        continue;
      identity[m.to] = sha256_hex(normal);
      values += (values.empty() ? "" : " ") + m.to + "=" + normal;
    }
    if (identity.empty())
      continue;
    auto& record = out[identity.dump()];
    record.origin += (record.origin.empty() ? "" : "; ") + std::string("row ") +
                     destination_key(r, model.setup.key_columns) + " (sha256 of " + values + ")";
  }
  return out;
}

held_state held_meta(testing::emulator_process& emulator) {
  held_state out;
  auto audiences = emulator.control_get("records")["audiences"];
  for (const auto& [id, audience] : audiences.items())
    for (const auto& m : audience["members"]) {
      held_record h;
      h.fields = m["identity"];
      h.live = m["member"].get<bool>();
      out.by_key[m["identity"].dump()].push_back(std::move(h));
    }
  return out;
}

std::vector<sent_value> sent_meta(const nlohmann::json&) {
  return {};
}

}  // namespace backflow::oracle
