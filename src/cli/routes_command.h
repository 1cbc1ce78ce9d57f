// `sbapi routes`: print the route table (core/route_table.h), one line per route; `--json` for
// tools (the SAM template's test compares the template with the routes served everywhere).
#pragma once

namespace CLI {
class App;
}  // namespace CLI

namespace sbapi {

struct RoutesOptions {
  bool json = false;
};

CLI::App* add_routes_command(CLI::App& app, RoutesOptions& options);
int run_routes(const RoutesOptions& options);

}  // namespace sbapi
