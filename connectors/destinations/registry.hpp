// The destination catalogue: one entry per connector, listed explicitly in registry.cpp.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/core/option_spec.hpp"
#include "pipelines/delivery/destination.hpp"

namespace backflow {

/// Everything the engine needs to know about a destination type.
struct destination_type {
  std::string name;     ///< the sync file's `destination.type`
  std::string summary;  ///< one line for `backflow describe`
  std::vector<option_spec> options;  ///< the `destination` object's keys (besides `type`)
  std::vector<sync_mode> modes;      ///< modes it supports; the first is its default
  /// The credential says which account the records land in (HubSpot: a private app token
  /// belongs to one portal, behind one shared endpoint), so a new one may be another account.
  /// Elsewhere the endpoint or an option says where they land and a new credential is a
  /// rotation.
  bool credential_names_account = false;
  /// The longest pause its answers may impose on an account (a Retry-After of a year is a bug
  /// on their side, not a reason to stop syncing for a year); `delivery.max_wait` overrides it.
  std::chrono::milliseconds max_wait{std::chrono::hours(1)};
  std::function<std::unique_ptr<destination>(const destination_context&)> make;
  /// Checks that need more than the option table (e.g. a key column count); may be empty.
  std::function<void(const destination_context&, const std::string& path, config_errors&)> check;
};

const std::vector<destination_type>& destination_types();
const destination_type* find_destination_type(std::string_view name);

}  // namespace backflow
