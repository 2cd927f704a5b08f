// Case-insensitive header lookup for HTTP responses (see delivery/http.hpp).
#include "pipelines/delivery/http.hpp"

#include <cctype>

namespace backflow {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::optional<std::string_view> http_response::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name))
      return std::string_view(h.value);
  return std::nullopt;
}

}  // namespace backflow
