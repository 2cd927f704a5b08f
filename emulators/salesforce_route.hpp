// Routing of Salesforce REST paths: which API a request asks for, and its request-log name.
#pragma once

#include <string>
#include <vector>

#include <httplib.h>

namespace backflow::emulators {

/// The APIs under /services/data/vNN.N/ that the emulator answers.
enum class sf_action {
  none,
  upsert,
  remove,
  get_by_field,
  get_by_id,
  retrieve,  ///< sObject Collections retrieve: GET ?ids=&fields= or POST {"ids","fields"}
  job_create,
  job_list,
  job_get,
  job_patch,
  job_delete,
  job_upload,
  job_results,
  limits,
  wrong_method
};

/// What an API path asks for.
struct sf_route {
  std::string endpoint;  ///< for the request log: "PATCH /services/data/vXX.X/composite/..."
  sf_action what = sf_action::none;
  std::string version;  ///< "v59.0"
  std::string object;
  std::string field;
  std::string value;    ///< a record value or id, a job id
  std::string kind;     ///< job results: successfulResults, failedResults, unprocessedrecords
  std::string allowed;  ///< wrong_method: the methods the path takes
};

/// Routes a request by its method and (percent-decoded, segment by segment) path.
sf_route parse_sf_route(const httplib::Request& req);

/// True for an sObject or field name: letters, digits and '_', at most 80 characters.
bool is_sf_name(const std::string& text);

/// The ids of `?ids=a,b,c`; empty for "".
std::vector<std::string> split_sf_ids(const std::string& text);

}  // namespace backflow::emulators
