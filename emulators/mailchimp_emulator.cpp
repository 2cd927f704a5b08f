// The Mailchimp Marketing API emulator (see mailchimp_emulator.hpp, docs/connectors/mailchimp.md).
#include "emulators/mailchimp_emulator.hpp"

#include <openssl/evp.h>

#include "emulators/emulator_util.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow::emulators {
namespace {

constexpr std::size_t mc_max_members = 500;
const std::set<std::string> mc_statuses = {"subscribed", "unsubscribed", "cleaned", "pending",
                                           "transactional"};

/// The list id of `POST /3.0/lists/{list_id}`, or "" for any other route.
std::string mc_list_of(const httplib::Request& req) {
  const std::string prefix = "/3.0/lists/";
  if (req.method != "POST" || req.path.rfind(prefix, 0) != 0)
    return {};
  auto id = req.path.substr(prefix.size());
  return id.find('/') == std::string::npos ? id : std::string();
}

void mc_problem(api_response& out, int status, const std::string& title,
                const std::string& detail) {
  out.status = status;
  out.body = nlohmann::json{{"type", "https://mailchimp.com/developer/marketing/docs/errors/"},
                            {"title", title},
                            {"status", status},
                            {"detail", detail},
                            {"instance", correlation_id()}}
                 .dump();
}

std::string mc_md5(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_md5(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

bool mc_plausible_email(const std::string& email) {
  auto at = email.find('@');
  return at != std::string::npos && at > 0 && email.find('@', at + 1) == std::string::npos &&
         email.find('.', at + 2) != std::string::npos && email.back() != '.' &&
         email.find_first_of(" \t\r\n") == std::string::npos;
}

/// Decrements the in-flight count when the request is answered.
struct mc_in_flight {
  std::atomic<std::int64_t>& count;
  ~mc_in_flight() { --count; }
};

}  // namespace

mailchimp_emulator::mailchimp_emulator(std::string key, std::set<std::string> lists)
    : key_(std::move(key)), lists_(std::move(lists)) {}

emulator_type mailchimp_emulator::type() {
  emulator_type t;
  t.name = "mailchimp";
  t.summary = "Mailchimp Marketing API audience members (batch subscribe or update)";
  t.destinations = {"mailchimp"};
  t.options = {
      {"--key", "K", std::string("the accepted API key (default ") + default_key + ")"},
      {"--list", "ID", std::string("an existing audience (default ") + default_list + ")", true}};
  t.own_limits = {{"concurrent", "requests answered at once (429 past it); 0 = unlimited"}};
  t.initial.concurrent = 10;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    auto given = s.all("--list");
    std::set<std::string> lists(given.begin(), given.end());
    if (lists.empty())
      lists.insert(default_list);
    return std::unique_ptr<emulator>(
        std::make_unique<mailchimp_emulator>(s.value("--key", default_key), std::move(lists)));
  };
  return t;
}

void mailchimp_emulator::describe(const httplib::Request& req, api_response& out) const {
  auto list = mc_list_of(req);
  out.endpoint = list.empty() ? req.method + " " + req.path : "POST /3.0/lists/{list_id}";
  out.inputs = 0;
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!list.empty() && body.is_object() && body.contains("members") && body["members"].is_array())
    out.inputs = body["members"].size();
}

bool mailchimp_emulator::authorized(const httplib::Request& req) const {
  auto header = req.get_header_value("Authorization");
  if (header.rfind("Basic ", 0) != 0)
    return has_bearer_token(req, key_);  // OAuth tokens are bearer tokens
  auto decoded = base64_decode(header.substr(6));
  if (!decoded)
    return false;
  auto colon = decoded->find(':');
  return colon != std::string::npos && constant_time_equal(decoded->substr(colon + 1), key_);
}

api_response mailchimp_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  describe(req, out);
  const auto now = ++in_flight_;
  mc_in_flight guard{in_flight_};
  if (!authorized(req)) {
    mc_problem(out, 401, "API Key Invalid", "Your API key may be invalid, or you've attempted to "
                                            "access the wrong datacenter.");
    return out;
  }
  if (current.concurrent > 0 && now > current.concurrent) {
    mc_problem(out, 429, "Too Many Requests",
               "You have exceeded the limit of " + std::to_string(current.concurrent) +
                   " simultaneous connections.");
    return out;
  }
  auto list = mc_list_of(req);
  if (list.empty() || lists_.count(list) == 0) {
    mc_problem(out, 404, "Resource Not Found", "The requested resource could not be found.");
    return out;
  }
  batch(list, req, out);
  return out;
}

void mailchimp_emulator::batch(const std::string& list, const httplib::Request& req,
                               api_response& out) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("members") || !body["members"].is_array())
    return mc_problem(out, 400, "Invalid Resource", "The resource submitted could not be validated.");
  const auto& members = body["members"];
  if (members.size() > mc_max_members)
    return mc_problem(out, 400, "Invalid Resource", "members: at most 500 items");
  const bool update_existing = body.value("update_existing", false);
  nlohmann::json created = nlohmann::json::array(), updated = nlohmann::json::array(),
                 errors = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (const auto& m : members) {
    auto email = m.is_object() && m.contains("email_address") ? scalar_text(m["email_address"]) : "";
    auto fail = [&](const std::string& error, const std::string& code) {
      errors.push_back({{"email_address", email}, {"error", error}, {"error_code", code}});
    };
    auto status = m.is_object() && m.contains("status") ? scalar_text(m["status"]) : "";
    if (!mc_plausible_email(email)) {
      fail(email + " looks fake or invalid, please enter a real email address.", "ERROR_GENERIC");
      continue;
    }
    if (mc_statuses.count(status) == 0) {
      fail("Invalid status: " + status, "ERROR_GENERIC");
      continue;
    }
    auto key = list + "/" + to_lower(email);
    auto it = members_.find(key);
    if (it != members_.end() && !update_existing) {
      fail(email + " is already a list member.", "ERROR_CONTACT_EXISTS");
      continue;
    }
    bool fresh = it == members_.end();
    if (fresh) {
      it = members_.emplace(key, member{}).first;
      it->second.id = mc_md5(to_lower(email));
      it->second.list = list;
      ++it->second.creations;
    } else {
      ++it->second.updates;
    }
    auto& record = it->second;
    record.email = email;
    record.status = status;
    for (const auto& [name, value] : m.items()) {
      if (name == "merge_fields" && value.is_object())
        for (const auto& [field, v] : value.items())
          record.fields["merge_fields." + field] = v;
      else if (name != "email_address" && name != "status")
        record.fields[name] = value;
    }
    nlohmann::json shown = {{"id", record.id}, {"email_address", email}, {"status", status}};
    (fresh ? created : updated).push_back(std::move(shown));
  }
  out.body = nlohmann::json{{"new_members", created},
                            {"updated_members", updated},
                            {"errors", errors},
                            {"total_created", created.size()},
                            {"total_updated", updated.size()},
                            {"error_count", errors.size()}}
                 .dump();
}

nlohmann::json mailchimp_emulator::records(const httplib::Request&) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, m] : members_)
    list.push_back({{"id", m.id}, {"list", m.list}, {"email_address", m.email},
                    {"status", m.status}, {"fields", m.fields}, {"creations", m.creations},
                    {"updates", m.updates}});
  return {{"records", list}};
}

void mailchimp_emulator::reset() {
  std::lock_guard lock(mutex_);
  members_.clear();
}

bool mailchimp_emulator::control(const std::string&, const httplib::Request&, httplib::Response&) {
  return false;
}

}  // namespace backflow::emulators
