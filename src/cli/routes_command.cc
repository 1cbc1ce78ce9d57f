#include "cli/routes_command.h"

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdio>
#include <string>

#include "core/route_table.h"

namespace sbapi {

CLI::App* add_routes_command(CLI::App& app, RoutesOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "routes",
      "Print every route: method, path, operation, group, where it is served (everywhere, or by "
      "`sbapi serve` only) and whether it is public when authentication is on");
  cmd->add_flag("--json", options.json, "One JSON document, for tools");
  return cmd;
}

int run_routes(const RoutesOptions& options) {
  const auto routes = route_table();
  if (options.json) {
    boost::json::array list;
    for (const RouteSpec& r : routes) {
      list.push_back(boost::json::object{{"method", r.method},
                                         {"path", r.path},
                                         {"operation", r.operation},
                                         {"group", group_name(r.group)},
                                         {"served", served_name(r.served)},
                                         {"public", r.is_public},
                                         {"summary", r.summary}});
    }
    const boost::json::object doc{{"routes", std::move(list)},
                                  {"corsAllowMethods", route_methods(",")}};
    std::printf("%s\n", boost::json::serialize(doc).c_str());
    return 0;
  }
  std::size_t path_width = 4;
  std::size_t operation_width = 9;
  for (const RouteSpec& r : routes) {
    path_width = std::max(path_width, r.path.size());
    operation_width = std::max(operation_width, r.operation.size());
  }
  const auto line = [&](std::string_view method, std::string_view path, std::string_view operation,
                        std::string_view group, std::string_view served, std::string_view access,
                        std::string_view summary) {
    std::printf("%-7.*s %-*.*s %-*.*s %-7.*s %-10.*s %-9.*s %.*s\n",
                static_cast<int>(method.size()), method.data(), static_cast<int>(path_width),
                static_cast<int>(path.size()), path.data(), static_cast<int>(operation_width),
                static_cast<int>(operation.size()), operation.data(),
                static_cast<int>(group.size()), group.data(), static_cast<int>(served.size()),
                served.data(), static_cast<int>(access.size()), access.data(),
                static_cast<int>(summary.size()), summary.data());
  };
  line("METHOD", "PATH", "OPERATION", "GROUP", "SERVED", "ACCESS", "SUMMARY");
  for (const RouteSpec& r : routes) {
    line(r.method, r.path, r.operation, group_name(r.group), served_name(r.served),
         r.is_public ? "public" : "token", r.summary);
  }
  return 0;
}

}  // namespace sbapi
