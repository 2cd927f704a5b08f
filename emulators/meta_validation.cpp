// Parsing and validation of Meta Custom Audience user batches (see meta_validation.hpp).
#include "emulators/meta_validation.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>

#include "pipelines/core/crypto.hpp"

namespace backflow::emulators {
namespace {

/// A schema key; `_SHA256` spellings map to the same identity key as the plain ones.
struct key_info {
  const char* name;
  bool hashed;
};

constexpr std::array<key_info, 19> keys = {{{"EMAIL", true},
                                            {"PHONE", true},
                                            {"FN", true},
                                            {"LN", true},
                                            {"FI", true},
                                            {"CT", true},
                                            {"ST", true},
                                            {"ZIP", true},
                                            {"COUNTRY", true},
                                            {"GEN", true},
                                            {"DOBY", true},
                                            {"DOBM", true},
                                            {"DOBD", true},
                                            {"EXTERN_ID", false},
                                            {"MADID", false},
                                            {"LOOKALIKE_VALUE", false},
                                            {"APPUID", false},
                                            {"PAGEUID", false},
                                            {"PAGE_SCOPED_USER_ID", false}}};

constexpr std::size_t max_samples = 10;
constexpr std::size_t max_plain_length = 1000;

/// The index of schema key `name` in `keys`, or -1.
int key_index(std::string name) {
  static const std::string suffix = "_SHA256";
  const bool suffixed = name.size() > suffix.size() &&
                        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  if (suffixed)
    name.resize(name.size() - suffix.size());
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (name == keys[i].name)
      return keys[i].hashed || !suffixed ? static_cast<int>(i) : -1;
  return -1;
}

/// Appends the 32 bytes of a 64-digit hex value; false when it is not one.
bool append_digest(std::string& out, const std::string& hex) {
  if (hex.size() != 64)
    return false;
  char digest[32];
  for (std::size_t i = 0; i < 64; i += 2) {
    const int high = hex_digit_value(hex[i]);
    const int low = hex_digit_value(hex[i + 1]);
    if (high < 0 || low < 0)
      return false;
    digest[i / 2] = static_cast<char>(high * 16 + low);
  }
  out.append(digest, sizeof digest);
  return true;
}

std::string form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && hex_digit_value(text[i + 1]) >= 0 &&
               hex_digit_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit_value(text[i + 1]) * 16 + hex_digit_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

/// The decoded value of `key` in a form-encoded body, if present.
std::optional<std::string> form_value(std::string_view body, std::string_view key) {
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = std::min(body.find('&', start), body.size());
    auto pair = body.substr(start, end - start);
    auto eq = pair.find('=');
    if (form_decode(pair.substr(0, eq)) == key)
      return eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return std::nullopt;
}

/// A parameter sent as JSON text (form or query) or as JSON (in a JSON body).
void take_json(const nlohmann::json& value, const char* name, nlohmann::json& slot,
               std::optional<meta_error>& error) {
  if (!value.is_string()) {
    slot = value;
    return;
  }
  slot = nlohmann::json::parse(value.get<std::string>(), nullptr, false);
  if (slot.is_discarded() && !error) {
    slot = nullptr;
    error = meta_error{std::string("(#100) param ") + name + " must be a valid JSON object"};
  }
}

std::optional<meta_session> parse_session(const nlohmann::json& s) {
  meta_session out;
  if (s.is_null())
    return out;
  if (!s.is_object())
    return std::nullopt;
  out.present = true;
  auto integer = [&](const char* key, std::int64_t& slot) {
    auto it = s.find(key);
    if (it == s.end() || it->is_null())
      return true;
    if (it->is_number_integer()) {
      slot = it->get<std::int64_t>();
      return true;
    }
    if (!it->is_string() || it->get_ref<const std::string&>().empty())
      return false;
    const auto& text = it->get_ref<const std::string&>();
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        text.size() > 18)
      return false;
    slot = std::stoll(text);
    return true;
  };
  std::int64_t id = -1;
  if (!integer("session_id", id) || !integer("batch_seq", out.batch_seq) ||
      !integer("estimated_num_total", out.estimated_total))
    return std::nullopt;
  if (id >= 0)
    out.id = id;
  auto last = s.find("last_batch_flag");
  if (last != s.end() && !last->is_null() && !last->is_boolean())
    return std::nullopt;
  out.last_batch = last != s.end() && last->is_boolean() && last->get<bool>();
  return out;
}

/// Why a single value is invalid, or "" when it is fine; appends it to `identity`.
std::string add_value(std::string& identity, int key, const nlohmann::json& value, bool& any) {
  if (!value.is_string())
    return "Invalid value type: a string is required";
  const auto& text = value.get_ref<const std::string&>();
  if (text.empty())
    return {};
  identity.push_back(static_cast<char>(key));
  if (keys[static_cast<std::size_t>(key)].hashed) {
    if (!append_digest(identity, text))
      return std::string("Invalid hash for ") + keys[static_cast<std::size_t>(key)].name +
             ": expected 64 hexadecimal characters (SHA-256)";
  } else {
    if (text.size() > max_plain_length)
      return "Value too long";
    identity.push_back(static_cast<char>(text.size() >> 8));
    identity.push_back(static_cast<char>(text.size() & 0xff));
    identity.append(text);
  }
  any = true;
  return {};
}

}  // namespace

std::string meta_error_body(const meta_error& e) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string trace;
  for (int i = 0; i < 11; ++i)
    trace.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
  nlohmann::json error = nlohmann::json::object();
  error["message"] = e.message;
  error["type"] = e.type;
  error["code"] = e.code;
  if (e.subcode != 0)
    error["error_subcode"] = e.subcode;
  error["fbtrace_id"] = trace;
  nlohmann::json body = nlohmann::json::object();
  body["error"] = std::move(error);
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

meta_envelope read_envelope(const httplib::Request& req) {
  meta_envelope out;
  out.access_token = req.get_param_value("access_token");
  if (req.has_param("payload"))
    take_json(req.get_param_value("payload"), "payload", out.payload, out.error);
  if (req.has_param("session"))
    take_json(req.get_param_value("session"), "session", out.session, out.error);
  const auto first = req.body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return out;
  if (req.body[first] == '{') {
    auto doc = nlohmann::json::parse(req.body, nullptr, false);
    if (!doc.is_object()) {
      out.error = meta_error{"(#100) The request body is not valid JSON"};
      return out;
    }
    if (auto token = doc.find("access_token"); token != doc.end() && token->is_string())
      out.access_token = token->get<std::string>();
    if (auto payload = doc.find("payload"); payload != doc.end())
      take_json(*payload, "payload", out.payload, out.error);
    if (auto session = doc.find("session"); session != doc.end())
      take_json(*session, "session", out.session, out.error);
  } else if (out.payload.is_null()) {  // a form body httplib did not parse (e.g. on DELETE)
    if (auto token = form_value(req.body, "access_token"))
      out.access_token = *token;
    if (auto payload = form_value(req.body, "payload"))
      take_json(*payload, "payload", out.payload, out.error);
    if (auto session = form_value(req.body, "session"))
      take_json(*session, "session", out.session, out.error);
  }
  return out;
}

meta_batch validate_batch(const meta_envelope& envelope) {
  meta_batch out;
  auto invalid_param = [&](const std::string& message, int subcode = 0) {
    out.error = meta_error{"(#100) " + message, 100, subcode};
    out.identities.clear();
    return out;
  };
  if (envelope.error) {
    out.error = envelope.error;
    return out;
  }
  const auto& payload = envelope.payload;
  if (payload.is_null())
    return invalid_param("The parameter payload is required");
  auto schema = payload.is_object() ? payload.find("schema") : payload.end();
  auto data = payload.is_object() ? payload.find("data") : payload.end();
  if (!payload.is_object() || schema == payload.end() || data == payload.end() || !data->is_array())
    return invalid_param("Invalid parameter: payload must be {\"schema\":...,\"data\":[...]}");
  const bool single = schema->is_string();
  std::vector<int> columns;
  for (const auto& name : single ? nlohmann::json::array({*schema}) : *schema) {
    if (!name.is_string())
      return invalid_param("Invalid parameter: schema must be a key or a list of keys");
    const int key = key_index(name.get<std::string>());
    if (key < 0)
      return invalid_param("Invalid parameter: schema key '" + name.get<std::string>() +
                           "' is not supported");
    if (std::find(columns.begin(), columns.end(), key) != columns.end())
      return invalid_param("Invalid parameter: schema key '" + name.get<std::string>() +
                           "' is repeated");
    columns.push_back(key);
  }
  if (columns.empty())
    return invalid_param("Invalid parameter: schema must not be empty");
  auto session = parse_session(envelope.session);
  if (!session)
    return invalid_param(
        "Invalid parameter: session must be {\"session_id\":<int64>,"
        "\"batch_seq\":<int>,\"last_batch_flag\":<bool>}");
  out.session = *session;
  out.received = data->size();
  if (data->size() > meta_max_rows)
    return invalid_param("Too many users in one request: " + std::to_string(data->size()) +
                             " rows, at most " + std::to_string(meta_max_rows),
                         1870101);
  for (const auto& row : *data)
    if ((row.is_array() && row.size() != columns.size()) || (!row.is_array() && !single))
      return invalid_param("The number of fields in each data row doesn't match schema", 1870036);
  std::vector<std::pair<int, const nlohmann::json*>> cells(columns.size());
  out.identities.reserve(data->size());
  for (const auto& row : *data) {
    for (std::size_t c = 0; c < columns.size(); ++c)
      cells[c] = {columns[c], row.is_array() ? &row[c] : &row};
    std::sort(cells.begin(), cells.end());  // identities do not depend on the schema's order
    std::string identity;
    identity.reserve(33 * columns.size());
    bool any = false;
    std::string reason;
    const nlohmann::json* culprit = nullptr;
    for (const auto& [key, value] : cells) {
      reason = add_value(identity, key, *value, any);
      if (!reason.empty()) {
        culprit = value;
        break;
      }
    }
    if (reason.empty() && !any)
      reason = "Empty row: at least one value is required";
    if (reason.empty()) {
      out.identities.push_back(std::move(identity));
      continue;
    }
    ++out.invalid;
    if (out.samples.size() < max_samples) {
      const auto sample = culprit == nullptr     ? std::string()
                          : culprit->is_string() ? culprit->get<std::string>()
                                                 : culprit->dump();
      out.samples[sample] = reason;
    }
  }
  return out;
}

void append_identity_json(std::string& out, std::string_view identity) {
  static constexpr char digits[] = "0123456789abcdef";
  out.push_back('{');
  std::size_t i = 0;
  while (i < identity.size()) {
    const auto key = static_cast<std::size_t>(static_cast<unsigned char>(identity[i++]));
    if (key >= keys.size())
      break;
    if (out.back() != '{')
      out.push_back(',');
    out.push_back('"');
    out.append(keys[key].name);
    out.append("\":");
    if (keys[key].hashed) {
      out.push_back('"');
      for (std::size_t k = 0; k < 32 && i < identity.size(); ++k, ++i) {
        const auto byte = static_cast<unsigned char>(identity[i]);
        out.push_back(digits[byte >> 4]);
        out.push_back(digits[byte & 0xf]);
      }
      out.push_back('"');
    } else {
      std::size_t length = 0;
      if (i + 2 <= identity.size())
        length = static_cast<std::size_t>(static_cast<unsigned char>(identity[i])) << 8 |
                 static_cast<unsigned char>(identity[i + 1]);
      append_json_string(out, identity.substr(std::min(i + 2, identity.size()), length));
      i += 2 + length;
    }
  }
  out.push_back('}');
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      out.append("\\u00");
      out.push_back(digits[byte >> 4]);
      out.push_back(digits[byte & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace backflow::emulators
