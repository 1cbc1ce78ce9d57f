// Marshalling between JSON values (boost::json) and DynamoDB AttributeValues.
//
// Contract
// - to_attribute_value: string → {"S"}, number → {"N"}, bool → {"BOOL"}, null → {"NULL": true},
//   object → {"M"}, array → {"L"}. Integers are written exactly (int64/uint64 decimal); doubles
//   in their shortest round-trip form (std::to_chars). NaN and infinities have no DynamoDB form:
//   an error.
// - from_attribute_value: the inverse, plus the set types a foreign writer may have used
//   (SS/NS → arrays, B/BS → base64 strings as sent). An "N" string becomes int64 when it is an
//   integer that fits, else uint64 when it fits, else a double — so every number reaches a client
//   as a JSON number, never a string, and integers up to 2^64-1 round-trip exactly.
// - Items (attribute maps) are converted attribute by attribute; the functions never throw.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <expected>
#include <string>

namespace sbapi::aws {

std::expected<boost::json::value, std::string> to_attribute_value(const boost::json::value& value);
std::expected<boost::json::value, std::string> from_attribute_value(
    const boost::json::value& attribute);

// {"name": value, ...} ↔ {"name": {"S": ...}, ...}
std::expected<boost::json::object, std::string> to_attribute_map(const boost::json::object& item);
std::expected<boost::json::object, std::string> from_attribute_map(
    const boost::json::object& attributes);

// The decimal string of a JSON number ("N"), or an error for NaN/infinity/non-numbers.
std::expected<std::string, std::string> number_to_string(const boost::json::value& number);
// Parses an "N" string as described above.
std::expected<boost::json::value, std::string> number_from_string(std::string_view text);

}  // namespace sbapi::aws
