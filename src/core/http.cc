#include "core/http.h"

#include <algorithm>

namespace sbapi {
namespace {

const std::string* find_header(const Headers& headers, std::string_view name) {
  auto it =
      std::find_if(headers.begin(), headers.end(), [&](const Header& h) { return h.name == name; });
  return it == headers.end() ? nullptr : &it->value;
}

}  // namespace

const std::string* Request::header(std::string_view lower_name) const {
  return find_header(headers, lower_name);
}

const std::string* Response::header(std::string_view lower_name) const {
  return find_header(headers, lower_name);
}

void Response::set_header(std::string_view lower_name, std::string value) {
  for (auto& h : headers) {
    if (h.name == lower_name) {
      h.value = std::move(value);
      return;
    }
  }
  headers.push_back({std::string(lower_name), std::move(value)});
}

}  // namespace sbapi
