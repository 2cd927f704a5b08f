// Routing of Salesforce REST paths (see salesforce_route.hpp).
#include "emulators/salesforce_route.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "emulators/emulator_util.hpp"
#include "emulators/salesforce_validation.hpp"

namespace backflow::emulators {
namespace {

constexpr const char* api_prefix = "/services/data/vXX.X/";

/// The decoded segments of the request target's path, so that an external id value may hold
/// an encoded '/' ("A%2F1").
std::vector<std::string> split_path(const httplib::Request& req) {
  const std::string& raw = req.target.empty() ? req.path : req.target;
  const std::string path = raw.substr(0, raw.find('?'));
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos)
      end = path.size();
    parts.push_back(httplib::detail::decode_url(path.substr(start, end - start), false));
    start = end + 1;
  }
  if (!parts.empty() && parts.back().empty())
    parts.pop_back();  // a trailing slash, as in successfulResults/
  return parts;
}

}  // namespace

std::vector<std::string> split_sf_ids(const std::string& text) {
  std::vector<std::string> ids;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    auto end = std::min(text.find(',', start), text.size());
    ids.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return ids;
}

bool is_sf_name(const std::string& text) {
  return !text.empty() && text.size() <= 80 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

sf_route parse_sf_route(const httplib::Request& req) {
  sf_route r;
  r.endpoint = req.method + " " + (is_valid_utf8(req.path) ? req.path : "(invalid path)");
  auto parts = split_path(req);
  if (parts.size() < 4 || parts[0] != "services" || parts[1] != "data" || !is_api_version(parts[2]))
    return r;
  r.version = parts[2];
  parts.erase(parts.begin(), parts.begin() + 3);
  const auto& m = req.method;
  auto expect = [&](sf_action what, const std::string& method, const std::string& endpoint) {
    r.endpoint = method + " " + api_prefix + endpoint;
    r.what = m == method ? what : sf_action::wrong_method;
    r.allowed = method;
  };
  const auto n = parts.size();
  if (n == 4 && parts[0] == "composite" && parts[1] == "sobjects" && is_sf_name(parts[2]) &&
      is_sf_name(parts[3])) {
    r.object = parts[2];
    r.field = parts[3];
    expect(sf_action::upsert, "PATCH", "composite/sobjects/" + r.object + "/" + r.field);
  } else if (n == 3 && parts[0] == "composite" && parts[1] == "sobjects" &&
             is_sf_name(parts[2])) {
    r.object = parts[2];
    expect(sf_action::retrieve, m == "GET" ? "GET" : "POST", "composite/sobjects/" + r.object);
    r.allowed = "GET, POST";
  } else if (n == 2 && parts[0] == "composite" && parts[1] == "sobjects") {
    expect(sf_action::remove, "DELETE", "composite/sobjects");
  } else if ((n == 3 || n == 4) && parts[0] == "sobjects" && is_sf_name(parts[1]) &&
             is_sf_name(parts[2])) {
    r.object = parts[1];
    if (n == 4) {
      r.field = parts[2];
      r.value = parts[3];
      expect(sf_action::get_by_field, "GET", "sobjects/" + r.object + "/" + r.field + "/{value}");
    } else {
      r.value = parts[2];
      expect(sf_action::get_by_id, "GET", "sobjects/" + r.object + "/{id}");
    }
  } else if (n == 1 && parts[0] == "limits") {
    expect(sf_action::limits, "GET", "limits");
  } else if (n >= 2 && parts[0] == "jobs" && parts[1] == "ingest") {
    if (n == 2) {
      expect(m == "GET" ? sf_action::job_list : sf_action::job_create, m == "GET" ? "GET" : "POST",
             "jobs/ingest");
      r.allowed = "GET, POST";
    } else if (n == 3) {
      r.value = parts[2];
      static const std::map<std::string, sf_action> by_method = {{"GET", sf_action::job_get},
                                                                 {"PATCH", sf_action::job_patch},
                                                                 {"DELETE", sf_action::job_delete}};
      auto it = by_method.find(m);
      expect(it == by_method.end() ? sf_action::job_get : it->second,
             it == by_method.end() ? "GET" : m, "jobs/ingest/{id}");
      r.allowed = "GET, PATCH, DELETE";
    } else if (n == 4 && parts[3] == "batches") {
      r.value = parts[2];
      expect(sf_action::job_upload, "PUT", "jobs/ingest/{id}/batches");
    } else if (n == 4 && (parts[3] == "successfulResults" || parts[3] == "failedResults" ||
                          parts[3] == "unprocessedrecords")) {
      r.value = parts[2];
      r.kind = parts[3];
      expect(sf_action::job_results, "GET", "jobs/ingest/{id}/" + r.kind);
    }
  }
  if (r.what == sf_action::wrong_method)
    r.endpoint = m + r.endpoint.substr(r.endpoint.find(' '));
  return r;
}

}  // namespace backflow::emulators
