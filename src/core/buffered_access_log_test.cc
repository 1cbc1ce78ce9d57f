#include "core/buffered_access_log.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cstdio>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sbapi {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(BufferedAccessLog, WritesEveryLineCompleteAndInOrderPerThread) {
  std::unique_ptr<std::FILE, FileCloser> file(std::tmpfile());
  ASSERT_NE(file, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2000;
  {
    // A tiny bound forces back-pressure as well.
    BufferedAccessLog log(file.get(), std::chrono::microseconds(50), 4096);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string id = std::to_string(t) + "-" + std::to_string(i);
          log.write({id, "GET", "/users/{id}", 200, i, false});
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }  // the destructor writes what is left
  const auto lines = lines_of(contents(file.get()));
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::vector<int> next(kThreads, 0);
  for (const auto& line : lines) {
    const auto entry = boost::json::parse(line).as_object();  // throws if a line is torn
    const std::string id(entry.at("requestId").as_string());
    const auto dash = id.find('-');
    const int thread = std::stoi(id.substr(0, dash));
    const int index = std::stoi(id.substr(dash + 1));
    EXPECT_EQ(index, next[thread]) << "thread " << thread << " out of order";
    next[thread] = index + 1;
    EXPECT_EQ(entry.at("latencyUs").as_int64(), index);
  }
}

TEST(BufferedAccessLog, ALineReachesTheFileWithoutWaitingForMore) {
  std::unique_ptr<std::FILE, FileCloser> file(std::tmpfile());
  ASSERT_NE(file, nullptr);
  BufferedAccessLog log(file.get());
  log.write({"only-one", "POST", "/users", 201, 7, false});
  std::string text;
  for (int i = 0; i < 500 && text.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    text = contents(file.get());
  }
  const auto lines = lines_of(text);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(boost::json::parse(lines[0]).at("requestId"), "only-one");
}

}  // namespace
}  // namespace sbapi
