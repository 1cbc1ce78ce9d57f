#include "adapters/aws/attribute_value.h"

#include <boost/json/array.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>

namespace sbapi::aws {
namespace {

namespace json = boost::json;

// Nesting beyond DynamoDB's own limit (32) is refused rather than recursed into.
constexpr int kMaxDepth = 32;

std::expected<json::value, std::string> to_av(const json::value& value, int depth);
std::expected<json::value, std::string> from_av(const json::value& attribute, int depth);

std::expected<json::value, std::string> to_av(const json::value& value, int depth) {
  if (depth > kMaxDepth) return std::unexpected("value nested too deeply");
  switch (value.kind()) {
    case json::kind::string:
      return json::object{{"S", value.get_string()}};
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: {
      auto text = number_to_string(value);
      if (!text) return std::unexpected(text.error());
      return json::object{{"N", *text}};
    }
    case json::kind::bool_:
      return json::object{{"BOOL", value.get_bool()}};
    case json::kind::null:
      return json::object{{"NULL", true}};
    case json::kind::object: {
      json::object map;
      for (const auto& [name, member] : value.get_object()) {
        auto av = to_av(member, depth + 1);
        if (!av) return av;
        map.emplace(name, std::move(*av));
      }
      return json::object{{"M", std::move(map)}};
    }
    case json::kind::array: {
      json::array list;
      for (const auto& element : value.get_array()) {
        auto av = to_av(element, depth + 1);
        if (!av) return av;
        list.push_back(std::move(*av));
      }
      return json::object{{"L", std::move(list)}};
    }
  }
  return std::unexpected("unknown JSON kind");
}

std::expected<json::value, std::string> from_av(const json::value& attribute, int depth) {
  if (depth > kMaxDepth) return std::unexpected("attribute nested too deeply");
  const auto* object = attribute.if_object();
  if (object == nullptr || object->size() != 1) {
    return std::unexpected("an AttributeValue is an object with exactly one type member");
  }
  const auto& [type, content] = *object->begin();
  if (type == "S" || type == "B") {
    if (!content.is_string()) return std::unexpected(std::string(type) + " is not a string");
    return content;
  }
  if (type == "N") {
    if (!content.is_string()) return std::unexpected("N is not a string");
    return number_from_string(content.get_string());
  }
  if (type == "BOOL") {
    if (!content.is_bool()) return std::unexpected("BOOL is not a boolean");
    return content;
  }
  if (type == "NULL") return json::value(nullptr);
  if (type == "M") {
    if (!content.is_object()) return std::unexpected("M is not an object");
    json::object map;
    for (const auto& [name, member] : content.get_object()) {
      auto value = from_av(member, depth + 1);
      if (!value) return value;
      map.emplace(name, std::move(*value));
    }
    return map;
  }
  if (type == "L") {
    if (!content.is_array()) return std::unexpected("L is not an array");
    json::array list;
    for (const auto& element : content.get_array()) {
      auto value = from_av(element, depth + 1);
      if (!value) return value;
      list.push_back(std::move(*value));
    }
    return list;
  }
  if (type == "SS" || type == "BS" || type == "NS") {
    if (!content.is_array()) return std::unexpected(std::string(type) + " is not an array");
    json::array list;
    for (const auto& element : content.get_array()) {
      if (!element.is_string()) return std::unexpected(std::string(type) + " holds a non-string");
      if (type == "NS") {
        auto number = number_from_string(element.get_string());
        if (!number) return number;
        list.push_back(std::move(*number));
      } else {
        list.push_back(element);
      }
    }
    return list;
  }
  return std::unexpected("unknown AttributeValue type " + std::string(type));
}

bool is_integer_literal(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::expected<std::string, std::string> number_to_string(const json::value& number) {
  char buffer[64];
  std::to_chars_result result{};
  switch (number.kind()) {
    case json::kind::int64:
      result = std::to_chars(buffer, buffer + sizeof buffer, number.get_int64());
      break;
    case json::kind::uint64:
      result = std::to_chars(buffer, buffer + sizeof buffer, number.get_uint64());
      break;
    case json::kind::double_: {
      const double d = number.get_double();
      if (!std::isfinite(d)) return std::unexpected("NaN or infinity cannot be stored");
      result = std::to_chars(buffer, buffer + sizeof buffer, d);  // shortest round trip
      break;
    }
    default:
      return std::unexpected("not a number");
  }
  if (result.ec != std::errc{}) return std::unexpected("number formatting failed");
  return std::string(buffer, result.ptr);
}

std::expected<json::value, std::string> number_from_string(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  if (is_integer_literal(text)) {
    std::int64_t i = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), i);
    if (r.ec == std::errc{} && r.ptr == digits.data() + digits.size()) return json::value(i);
    std::uint64_t u = 0;
    r = std::from_chars(digits.data(), digits.data() + digits.size(), u);
    if (r.ec == std::errc{} && r.ptr == digits.data() + digits.size()) return json::value(u);
    // Beyond 64 bits: fall through to the nearest double.
  }
  // Only decimal notation: from_chars would also take "nan" and "inf".
  if (digits.find_first_not_of("0123456789+-.eE") != std::string_view::npos) {
    return std::unexpected("invalid number \"" + std::string(text) + "\"");
  }
  double d = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), d);
  if (r.ec != std::errc{} || r.ptr != digits.data() + digits.size() || digits.empty() ||
      !std::isfinite(d)) {
    return std::unexpected("invalid number \"" + std::string(text) + "\"");
  }
  // A decimal that DynamoDB holds as an integer-valued number ("5.0", "1E+2") reads back as the
  // integer, as a client would expect.
  if (std::trunc(d) == d && std::fabs(d) < 9.007199254740992e15) {
    return json::value(static_cast<std::int64_t>(d));
  }
  return json::value(d);
}

std::expected<json::value, std::string> to_attribute_value(const json::value& value) {
  return to_av(value, 0);
}

std::expected<json::value, std::string> from_attribute_value(const json::value& attribute) {
  return from_av(attribute, 0);
}

std::expected<json::object, std::string> to_attribute_map(const json::object& item) {
  json::object out;
  for (const auto& [name, value] : item) {
    auto av = to_av(value, 1);
    if (!av) return std::unexpected(std::string(name) + ": " + av.error());
    out.emplace(name, std::move(*av));
  }
  return out;
}

std::expected<json::object, std::string> from_attribute_map(const json::object& attributes) {
  json::object out;
  for (const auto& [name, attribute] : attributes) {
    auto value = from_av(attribute, 1);
    if (!value) return std::unexpected(std::string(name) + ": " + value.error());
    out.emplace(name, std::move(*value));
  }
  return out;
}

}  // namespace sbapi::aws
