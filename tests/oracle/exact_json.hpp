// JSON read with the exact text of its numbers, and decimal comparison: what a request body said.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace backflow::oracle {

/// Parses `text`, keeping every number that is not a 64-bit integer as {"$number": "<literal>"}
/// (a double would round 12345678901234567.89); integers stay exact. Discarded when malformed.
nlohmann::json parse_exact(const std::string& text);

/// The literal of a number of parse_exact's output (or of any JSON number); nullopt otherwise.
std::optional<std::string> number_literal(const nlohmann::json& value);

/// True when `text` is a decimal literal: sign, digits, an optional point and exponent.
bool is_decimal(const std::string& text);

/// True when two decimal literals denote the same number ("19.990" and "1.999e1" do).
bool same_decimal(const std::string& a, const std::string& b);

/// True when `text` is an integer literal (no point, no exponent).
bool is_integer_literal(const std::string& text);

}  // namespace backflow::oracle
