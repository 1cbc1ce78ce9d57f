// Test-only, header-only: a file's bytes, and the sample Lambda events of the repository's
// events/ folder.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sbapi::testutil {

// The whole file ("" when it cannot be read).
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

// The text of events/<name>; the test fails when there is no such sample.
inline std::string event_sample(const std::string& name) {
  const auto path =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "events" / name;
  EXPECT_TRUE(std::filesystem::is_regular_file(path)) << path;
  return read_file(path);
}

}  // namespace sbapi::testutil
