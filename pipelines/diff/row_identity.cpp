// Canonical keys, projection and row hashes (see row_identity.hpp).
#include "pipelines/diff/row_identity.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "pipelines/core/row_key.hpp"
#include "pipelines/core/text.hpp"

namespace backflow {
namespace {

/// The text of one key part in `part`; false when it is null or blank.
bool key_part_text(const cell& c, std::string& part) {
  part.clear();
  switch (c.type) {
    case cell_type::null:
      return false;
    case cell_type::boolean_false:
    case cell_type::boolean_true:
      part = c.boolean() ? "true" : "false";
      return true;
    case cell_type::integer:
      part = std::to_string(c.integer);
      return true;
    case cell_type::real: {
      if (!std::isfinite(c.real))
        return false;
      if (std::floor(c.real) == c.real && std::fabs(c.real) < 9007199254740992.0) {
        part = std::to_string(static_cast<int64_t>(c.real));
      } else {
        char buf[32];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, c.real);  // shortest round trip
        part.assign(buf, end);
      }
      return true;
    }
    case cell_type::text:
    case cell_type::timestamp: {
      auto t = trim_view(c.text);
      if (t.empty())
        return false;
      if (t.find('@') != std::string_view::npos)
        append_ascii_lower(part, t);
      else
        part.assign(t);
      return true;
    }
    default:
      part = cell_to_string(c);
      return !trim_view(part).empty();
  }
}

}  // namespace

hash128 hash_row(std::string_view encoded_row, uint64_t fingerprint) {
  auto h = XXH3_128bits_withSeed(encoded_row.data(), encoded_row.size(), fingerprint);
  return {h.low64, h.high64};
}

uint64_t fingerprint_of(std::string_view canonical_description) {
  return XXH3_64bits(canonical_description.data(), canonical_description.size());
}

payload_hasher::payload_hasher(std::vector<std::string> field_names, uint64_t seed)
    : names_(std::move(field_names)), by_name_(names_.size()), spans_(names_.size()), seed_(seed) {
  for (size_t i = 0; i < by_name_.size(); ++i)
    by_name_[i] = i;
  std::sort(by_name_.begin(), by_name_.end(),
            [&](size_t a, size_t b) { return names_[a] < names_[b]; });
}

bool payload_hasher::hash(std::string_view fields, hash128& out) {
  row_reader reader{fields};
  cell c;
  for (auto& span : spans_) {
    auto begin = reader.position();
    if (!reader.next(c))
      return false;
    span = {static_cast<uint32_t>(begin), static_cast<uint32_t>(reader.position() - begin)};
  }
  XXH3_state_t state;
  XXH3_128bits_reset_withSeed(&state, seed_);
  for (auto i : by_name_) {
    const auto& name = names_[i];
    XXH3_128bits_update(&state, name.data(), name.size() + 1);  // with its terminating NUL
    XXH3_128bits_update(&state, fields.data() + spans_[i].first, spans_[i].second);
  }
  auto h = XXH3_128bits_digest(&state);
  out = {h.low64, h.high64};
  return true;
}

bool canonical_key(std::string_view row, size_t key_count, std::string& out) {
  out.clear();
  row_reader reader{row};
  cell c;
  thread_local std::string part;
  for (size_t i = 0; i < key_count; ++i) {
    if (!reader.next(c) || !key_part_text(c, part))
      return false;
    append_key_part(out, part, i, key_count);
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
