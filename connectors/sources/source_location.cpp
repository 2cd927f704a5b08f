// Where a source's data lives (see source_location.hpp).
#include "connectors/sources/source_location.hpp"

#include <cstring>
#include <filesystem>

#include <libpq-fe.h>

namespace backflow {
namespace {

std::string postgres_location(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  PQfreemem(error);
  if (options == nullptr)
    return "postgres:(unreadable connection string)";
  std::string host;
  std::string port = "5432";
  std::string dbname;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0')
      continue;
    if (std::strcmp(o->keyword, "host") == 0 || (std::strcmp(o->keyword, "hostaddr") == 0 && host.empty()))
      host = o->val;
    else if (std::strcmp(o->keyword, "port") == 0)
      port = o->val;
    else if (std::strcmp(o->keyword, "dbname") == 0)
      dbname = o->val;
  }
  PQconninfoFree(options);
  return "postgres:host=" + (host.empty() ? std::string("localhost") : host) + " port=" + port +
         " dbname=" + dbname;
}

}  // namespace

std::string source_location(const source_spec& spec) {
  if (spec.type == "sqlite") {
    std::error_code ec;
    auto path = std::filesystem::weakly_canonical(spec.path, ec);
    return "sqlite:" + (ec ? spec.path : path.string());
  }
  if (spec.type == "postgres")
    return postgres_location(spec.dsn);
  return spec.type + ":?";
}

}  // namespace backflow
