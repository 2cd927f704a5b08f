// The Intercom REST API emulator (see intercom_emulator.hpp and docs/connectors/intercom.md).
#include "emulators/intercom_emulator.hpp"

#include <algorithm>
#include <regex>

#include "emulators/emulator_util.hpp"

namespace backflow::emulators {
namespace {

std::string error_list(const std::string& code, const std::string& message) {
  nlohmann::json body = {{"type", "error.list"},
                         {"request_id", correlation_id()},
                         {"errors", {{{"code", code}, {"message", message}}}}};
  return body.dump();
}

void answer_error(api_response& out, int status, const std::string& code, const std::string& message) {
  out.status = status;
  out.body = error_list(code, message);
}

/// "/contacts/123/archive" → {"contacts", "123", "archive"}.
std::vector<std::string> parts_of(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start < path.size()) {
    auto end = std::min(path.find('/', start), path.size());
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

/// The endpoint template a request is logged under.
std::string endpoint_of(const httplib::Request& req) {
  auto p = parts_of(req.path);
  std::string path = "/";
  for (std::size_t i = 0; i < p.size(); ++i)
    path += (i ? "/" : "") + (i == 1 && p[1] != "search" ? std::string("{id}") : p[i]);
  return req.method + " " + path;
}

bool valid_email(const nlohmann::json& v) {
  if (!v.is_string())
    return false;
  const auto& s = v.get_ref<const std::string&>();
  auto at = s.find('@');
  return at != std::string::npos && at > 0 && at + 1 < s.size() && s.find(' ') == std::string::npos;
}

/// IN's value: an array of 1 to 15 values (Intercom's limit for IN and NIN).
bool valid_in(const nlohmann::json& value) {
  return value.is_array() && !value.empty() && value.size() <= 15;
}

/// Top-level attributes replace, custom attributes merge (Intercom updates only what is sent).
void merge_into(nlohmann::json& fields, const nlohmann::json& body) {
  for (const auto& [k, v] : body.items()) {
    if (k == "custom_attributes" && v.is_object()) {
      auto& custom = fields["custom_attributes"];
      if (!custom.is_object())
        custom = nlohmann::json::object();
      for (const auto& [ck, cv] : v.items())
        custom[ck] = cv;
    } else {
      fields[k] = v;
    }
  }
}

}  // namespace

emulator_type intercom_emulator::type() {
  emulator_type t;
  t.name = "intercom";
  t.summary = "Intercom contacts (search, create, update, archive) and companies (upsert)";
  t.destinations = {"intercom"};
  t.options = {{"--token", "T", std::string("the accepted access token (default ") +
                                    default_token + ")"}};
  // Intercom's default app limit: 10,000 calls per minute, spread over 10 s windows.
  t.own_limits = {{"per_10s", "requests per fixed 10 s window; 0 = unlimited"}};
  t.initial.per_10s = 1667;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    return std::unique_ptr<emulator>(
        std::make_unique<intercom_emulator>(s.value("--token", default_token)));
  };
  return t;
}

void intercom_emulator::describe(const httplib::Request& req, api_response& out) const {
  out.endpoint = endpoint_of(req);
  auto p = parts_of(req.path);
  out.inputs = (req.method == "POST" || req.method == "PUT") && !(p.size() == 2 && p[1] == "search")
                   ? 1
                   : 0;
}

bool intercom_emulator::admit(const limits& current, api_response& out) {
  if (current.per_10s <= 0)
    return true;
  std::lock_guard lock(quota_mutex_);
  const auto now_s = now_ms() / 1000;
  if (now_s - window_start_s_ >= 10) {
    window_start_s_ = now_s - now_s % 10;
    window_used_ = 0;
  }
  const bool admitted = window_used_ < current.per_10s;
  if (admitted)
    ++window_used_;
  out.headers.emplace("X-RateLimit-Limit", std::to_string(current.per_10s));
  out.headers.emplace("X-RateLimit-Remaining", std::to_string(current.per_10s - window_used_));
  out.headers.emplace("X-RateLimit-Reset", std::to_string(window_start_s_ + 10));
  if (!admitted)
    answer_error(out, 429, "rate_limit_exceeded",
         "Exceeded rate limit of " + std::to_string(current.per_10s) + " in 10_seconds");
  return admitted;
}

api_response intercom_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  describe(req, out);
  static const std::regex version(R"(2\.\d{1,2}|Unstable)");
  if (!has_bearer_token(req, token_))
    answer_error(out, 401, "unauthorized", "Access Token Invalid");
  else if (!std::regex_match(req.get_header_value("Intercom-Version"), version))
    answer_error(out, 400, "intercom_version_invalid", "The requested version could not be found");
  else if (admit(current, out))
    route(req, out);
  return out;
}

void intercom_emulator::route(const httplib::Request& req, api_response& out) {
  auto p = parts_of(req.path);
  auto body = req.body.empty() ? nlohmann::json::object()
                               : nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object())
    return answer_error(out, 400, "parameter_invalid", "Request body is not a JSON object");
  std::lock_guard lock(mutex_);
  const auto& m = req.method;
  if (p.size() == 2 && p[0] == "contacts" && p[1] == "search" && m == "POST")
    return search(body, out);
  if (p.size() == 1 && p[0] == "contacts" && m == "POST")
    return create_contact(body, out);
  if (p.size() == 2 && p[0] == "contacts" && m == "GET")
    return get_contact(p[1], out);
  if (p.size() == 2 && p[0] == "contacts" && m == "PUT")
    return update_contact(p[1], body, out);
  if (p.size() == 3 && p[0] == "contacts" && p[2] == "archive" && m == "POST")
    return remove_contact(p[1], true, out);
  if (p.size() == 3 && p[0] == "contacts" && p[2] == "unarchive" && m == "POST")
    return unarchive_contact(p[1], out);
  if (p.size() == 2 && p[0] == "contacts" && m == "DELETE")
    return remove_contact(p[1], false, out);
  if (p.size() == 1 && p[0] == "companies" && m == "POST")
    return upsert_company(body, out);
  if (p.size() == 2 && p[0] == "companies" && m == "DELETE")
    return delete_company(p[1], out);
  answer_error(out, 404, "not_found", "Resource Not Found: " + m + " " + req.path);
}

void intercom_emulator::index(const stored& c, bool on) {
  for (const char* field : {"external_id", "email"}) {
    auto v = c.fields.find(field);
    if (v == c.fields.end() || !v->is_string() || v->get_ref<const std::string&>().empty())
      continue;
    auto value = std::string(field) == "email" ? to_lower(v->get<std::string>()) : v->get<std::string>();
    auto& index = unique_[field];
    if (on)
      index[value] = c.id;
    else if (auto it = index.find(value); it != index.end() && it->second == c.id)
      index.erase(it);
  }
}

intercom_emulator::stored* intercom_emulator::holder(const std::string& field,
                                                     const std::string& value,
                                                     const std::string& except) {
  if (value.empty())
    return nullptr;
  auto& index = unique_[field];
  auto it = index.find(field == "email" ? to_lower(value) : value);
  if (it == index.end() || it->second == except)
    return nullptr;
  return &contacts_.at(it->second);
}

void intercom_emulator::create_contact(const nlohmann::json& body, api_response& out) {
  auto role = body.value("role", nlohmann::json("user"));
  auto external_id = body.value("external_id", nlohmann::json(""));
  auto email = body.value("email", nlohmann::json(""));
  if (role != "user" && role != "lead")
    return answer_error(out, 400, "parameter_invalid", "role must be user or lead");
  if (!external_id.is_string() || !email.is_string())
    return answer_error(out, 400, "parameter_invalid", "external_id and email must be strings");
  if (role == "user" && external_id == "" && email == "")
    return answer_error(out, 400, "parameter_not_found", "external_id or email is required for a user");
  if (email != "" && !valid_email(email))
    return answer_error(out, 400, "parameter_invalid", "Invalid email address");
  if (body.contains("custom_attributes") && !body["custom_attributes"].is_object())
    return answer_error(out, 400, "parameter_invalid", "custom_attributes must be an object");
  for (const char* field : {"external_id", "email"})
    if (auto* c = holder(field, body.value(field, nlohmann::json("")).get<std::string>(), ""))
      return answer_error(out, 409, "conflict",
                  "A contact matching those details already exists with id=" + c->id);
  stored c;
  c.id = "6" + std::to_string(100000 + next_id_++);  // opaque, never the key
  merge_into(c.fields, body);
  c.fields["role"] = role;
  c.creations = c.writes = 1;
  auto& saved = contacts_[c.id] = std::move(c);
  index(saved, true);
  auto reply = saved.fields;
  reply["type"] = "contact";
  reply["id"] = saved.id;
  out.body = reply.dump();
}

void intercom_emulator::get_contact(const std::string& id, api_response& out) {
  auto it = contacts_.find(id);
  if (it == contacts_.end() || it->second.deleted)
    return answer_error(out, 404, "not_found", "User Not Found");
  auto reply = it->second.fields;
  reply["type"] = "contact";
  reply["id"] = id;
  reply["archived"] = it->second.archived;  // an assumption: see docs/connectors/intercom.md
  out.body = reply.dump();
}

void intercom_emulator::update_contact(const std::string& id, const nlohmann::json& body,
                                       api_response& out) {
  auto it = contacts_.find(id);
  if (it == contacts_.end() || it->second.deleted || it->second.archived)
    return answer_error(out, 404, "not_found", "User Not Found");
  if (body.contains("email") && body["email"] != "" && !valid_email(body["email"]))
    return answer_error(out, 400, "parameter_invalid", "Invalid email address");
  for (const char* field : {"external_id", "email"})
    if (body.contains(field) && body[field].is_string())
      if (auto* c = holder(field, body[field].get<std::string>(), id))
        return answer_error(out, 409, "conflict",
                    "A contact matching those details already exists with id=" + c->id);
  index(it->second, false);
  merge_into(it->second.fields, body);
  index(it->second, true);
  ++it->second.writes;
  auto reply = it->second.fields;
  reply["type"] = "contact";
  reply["id"] = id;
  out.body = reply.dump();
}

void intercom_emulator::remove_contact(const std::string& id, bool archive, api_response& out) {
  auto it = contacts_.find(id);
  if (it == contacts_.end() || it->second.deleted)
    return answer_error(out, 404, "not_found", "User Not Found");
  (archive ? it->second.archived : it->second.deleted) = true;
  if (!archive)
    index(it->second, false);  // a deleted contact's external_id and email are free again
  nlohmann::json reply = {{"id", id}, {"type", "contact"},
                          {"external_id", it->second.fields.value("external_id", nlohmann::json())},
                          {archive ? "archived" : "deleted", true}};
  out.body = reply.dump();
}

void intercom_emulator::unarchive_contact(const std::string& id, api_response& out) {
  auto it = contacts_.find(id);
  if (it == contacts_.end() || it->second.deleted)
    return answer_error(out, 404, "not_found", "User Not Found");
  it->second.archived = false;
  out.body = nlohmann::json{{"id", id}, {"type", "contact"}, {"archived", false}}.dump();
}

bool intercom_emulator::matches(const stored& c, const nlohmann::json& q) const {
  if (!q.is_object())
    return false;
  auto op = q.value("operator", nlohmann::json(""));
  auto value = q.value("value", nlohmann::json());
  if ((op == "AND" || op == "OR") && value.is_array()) {
    bool all = true, any = false;
    for (const auto& sub : value) {
      bool m = matches(c, sub);
      all = all && m;
      any = any || m;
    }
    return op == "AND" ? all : any;
  }
  auto field = q.value("field", nlohmann::json(""));
  if (!field.is_string() || (op != "=" && op != "!=" && op != "IN"))
    return false;
  const auto name = field.get<std::string>();
  auto have = name == "id" ? nlohmann::json(c.id) : c.fields.value(name, nlohmann::json());
  auto same_as = [&](const nlohmann::json& want) {
    return name == "email" && have.is_string() && want.is_string()
               ? to_lower(have.get<std::string>()) == to_lower(want.get<std::string>())
               : have == want;
  };
  if (op == "IN")  // a shortcut for OR over the listed values
    return value.is_array() && std::any_of(value.begin(), value.end(), same_as);
  bool same = same_as(value);
  return op == "=" ? same : !same;
}

void intercom_emulator::search(const nlohmann::json& body, api_response& out) {
  auto query = body.value("query", nlohmann::json());
  auto op = query.is_object() ? query.value("operator", nlohmann::json("")) : nlohmann::json();
  static const std::vector<nlohmann::json> ops = {"=", "!=", "IN", "AND", "OR"};
  if (std::find(ops.begin(), ops.end(), op) == ops.end())
    return answer_error(out, 400, "query_invalid", "query needs a field, an operator (=, !=, IN) and a value, "
                                           "or AND/OR with a list of such queries");
  if (op == "IN" && !valid_in(query.value("value", nlohmann::json())))
    return answer_error(out, 400, "query_invalid", "IN takes an array of 1 to 15 values");
  auto pagination = body.value("pagination", nlohmann::json::object());
  auto per_page = pagination.is_object() ? pagination.value("per_page", 50) : 50;
  if (per_page < 1 || per_page > 150)
    return answer_error(out, 400, "parameter_invalid", "per_page must be between 1 and 150");
  std::size_t offset = 0;
  if (pagination.is_object() && pagination.contains("starting_after")) {
    auto cursor = pagination.value("starting_after", nlohmann::json(""));
    if (!cursor.is_string() || cursor.get<std::string>().rfind("after:", 0) != 0)
      return answer_error(out, 400, "parameter_invalid", "starting_after is not a cursor of this search");
    offset = std::stoul(cursor.get<std::string>().substr(6));
  }
  std::vector<const stored*> found;
  auto field = query.value("field", nlohmann::json());
  auto value = query.value("value", nlohmann::json());
  if (op == "=" && (field == "external_id" || field == "email") && value.is_string()) {
    // A unique attribute: its index holds the one candidate.
    if (auto* c = holder(field.get<std::string>(), value.get<std::string>(), "");
        c != nullptr && !c->archived && matches(*c, query))
      found.push_back(c);
  } else {
    for (const auto& [id, c] : contacts_)  // archived and deleted contacts are not searchable
      if (!c.deleted && !c.archived && matches(c, query))
        found.push_back(&c);
  }
  nlohmann::json data = nlohmann::json::array();
  for (std::size_t i = offset; i < found.size() && data.size() < std::size_t(per_page); ++i) {
    auto item = found[i]->fields;
    item["type"] = "contact";
    item["id"] = found[i]->id;
    data.push_back(std::move(item));
  }
  const auto pages = (found.size() + per_page - 1) / per_page;
  nlohmann::json page_info = {{"type", "pages"}, {"page", offset / per_page + 1},
                              {"per_page", per_page}, {"total_pages", pages}};
  if (offset + per_page < found.size())
    page_info["next"] = {{"page", offset / per_page + 2},
                         {"starting_after", "after:" + std::to_string(offset + per_page)}};
  out.body = nlohmann::json{{"type", "list"}, {"data", std::move(data)},
                            {"total_count", found.size()}, {"pages", std::move(page_info)}}
                 .dump();
}

void intercom_emulator::upsert_company(const nlohmann::json& body, api_response& out) {
  auto company_id = body.value("company_id", nlohmann::json(""));
  if (!company_id.is_string() || company_id == "")
    return answer_error(out, 400, "parameter_not_found", "company_id is required");
  if (body.contains("custom_attributes") && !body["custom_attributes"].is_object())
    return answer_error(out, 400, "parameter_invalid", "custom_attributes must be an object");
  auto& c = companies_[company_id.get<std::string>()];
  if (c.id.empty() || c.deleted) {
    c = stored{};
    c.id = "5" + std::to_string(100000 + next_id_++);
    ++c.creations;
  }
  merge_into(c.fields, body);
  ++c.writes;
  auto reply = c.fields;
  reply["type"] = "company";
  reply["id"] = c.id;
  out.body = reply.dump();
}

void intercom_emulator::delete_company(const std::string& id, api_response& out) {
  for (auto& [company_id, c] : companies_)
    if (c.id == id && !c.deleted) {
      c.deleted = true;
      out.body = nlohmann::json{{"id", id}, {"object", "company"}, {"deleted", true}}.dump();
      return;
    }
  answer_error(out, 404, "company_not_found", "Company Not Found");
}

nlohmann::json intercom_emulator::records(const httplib::Request& req) const {
  std::lock_guard lock(mutex_);
  const auto object = req.has_param("object") ? req.get_param_value("object") : "contacts";
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, c] : object == "companies" ? companies_ : contacts_) {
    nlohmann::json entry = c.fields;
    entry["id"] = c.id;
    entry["archived"] = c.archived;
    entry["deleted"] = c.deleted;
    entry["creations"] = c.creations;
    entry["writes"] = c.writes;
    list.push_back(std::move(entry));
  }
  nlohmann::json out = nlohmann::json::object();
  out["records"] = std::move(list);
  return out;
}

void intercom_emulator::reset() {
  {
    std::lock_guard lock(quota_mutex_);
    window_start_s_ = window_used_ = 0;
  }
  std::lock_guard lock(mutex_);
  contacts_.clear();
  unique_.clear();
  companies_.clear();
  next_id_ = 1;
}

}  // namespace backflow::emulators
