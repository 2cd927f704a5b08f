// Canonical keys, projection and row hashes (see row_identity.hpp).
#include "pipelines/diff/row_identity.hpp"

#include <cmath>
#include <cstdio>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "pipelines/core/text.hpp"

namespace backflow {
namespace {

/// Appends one key part; false when it is null or blank.
bool append_key_part(const cell& c, std::string& out) {
  switch (c.type) {
    case cell_type::null:
      return false;
    case cell_type::boolean_false:
    case cell_type::boolean_true:
      out += c.boolean() ? "true" : "false";
      return true;
    case cell_type::integer:
      out += std::to_string(c.integer);
      return true;
    case cell_type::real: {
      if (!std::isfinite(c.real))
        return false;
      if (std::floor(c.real) == c.real && std::fabs(c.real) < 9e15) {
        out += std::to_string(static_cast<int64_t>(c.real));
      } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", c.real);
        out += buf;
      }
      return true;
    }
    case cell_type::text:
    case cell_type::timestamp: {
      auto t = trim_view(c.text);
      if (t.empty())
        return false;
      bool email = t.find('@') != std::string_view::npos;
      if (email)
        append_ascii_lower(out, t);
      else
        out.append(t);
      return true;
    }
  }
  return false;
}

}  // namespace

hash128 hash_row(std::string_view encoded_row, uint64_t fingerprint) {
  auto h = XXH3_128bits_withSeed(encoded_row.data(), encoded_row.size(), fingerprint);
  return {h.low64, h.high64};
}

uint64_t fingerprint_of(std::string_view canonical_description) {
  return XXH3_64bits(canonical_description.data(), canonical_description.size());
}

bool canonical_key(std::string_view row, size_t key_count, std::string& out) {
  out.clear();
  row_reader reader{row};
  cell c;
  for (size_t i = 0; i < key_count; ++i) {
    if (!reader.next(c))
      return false;
    if (i > 0)
      out.push_back('\x1f');
    if (!append_key_part(c, out))
      return false;
  }
  return true;
}

row_projection::row_projection(std::vector<size_t> indices, size_t width)
    : indices_(std::move(indices)), spans_(width) {
  identity_ = indices_.size() == width;
  for (size_t i = 0; identity_ && i < indices_.size(); ++i)
    identity_ = indices_[i] == i;
}

bool row_projection::project(std::string_view row, std::string& out) {
  if (identity_) {
    out.append(row);
    return true;
  }
  row_reader reader{row};
  cell c;
  for (size_t i = 0; i < spans_.size(); ++i) {
    auto begin = reader.position();
    if (!reader.next(c))
      return false;
    spans_[i] = {static_cast<uint32_t>(begin), static_cast<uint32_t>(reader.position() - begin)};
  }
  for (auto idx : indices_)
    out.append(row.substr(spans_[idx].first, spans_[idx].second));
  return true;
}

}  // namespace backflow
