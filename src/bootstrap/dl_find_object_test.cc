// Test `bootstrap`: linked like the packaged bootstrap as far as the unwinder goes (static
// libstdc++ and libgcc, -Wl,--wrap=_dl_find_object; see CMakeLists.txt), with its own counting
// wrapper in place of main.cc's.
#include "bootstrap/dl_find_object.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <string>

#ifdef DLFO_STRUCT_HAS_EH_DBASE

namespace {

std::atomic<int> wrapped_calls{0};

}  // namespace

// glibc's own (this test runs where glibc >= 2.35), under --wrap's name for it.
extern "C" int __real__dl_find_object(void* address,  // NOLINT(bugprone-reserved-identifier)
                                      dl_find_object* result);

extern "C" int __wrap__dl_find_object(void* address,  // NOLINT(bugprone-reserved-identifier)
                                      dl_find_object* result) {
  wrapped_calls.fetch_add(1, std::memory_order_relaxed);
  return sbapi::bootstrap::find_object(address, result);
}

namespace sbapi::bootstrap {
namespace {

// An address in this executable's text.
int local_function(int x) { return x + 1; }

[[gnu::noinline]] int throw_from(int depth) {
  if (depth == 0) throw std::runtime_error("from below");
  return throw_from(depth - 1) + local_function(depth);
}

void expect_same_as_glibc(void* address, const char* what) {
  SCOPED_TRACE(what);
  dl_find_object ours{};
  dl_find_object theirs{};
  const int expected = __real__dl_find_object(address, &theirs);
  ASSERT_EQ(find_object(address, &ours), expected);
  if (expected != 0) return;
  EXPECT_EQ(ours.dlfo_map_start, theirs.dlfo_map_start);
  EXPECT_EQ(ours.dlfo_map_end, theirs.dlfo_map_end);
  EXPECT_EQ(ours.dlfo_eh_frame, theirs.dlfo_eh_frame);
  EXPECT_NE(ours.dlfo_eh_frame, nullptr);
  EXPECT_EQ(ours.dlfo_flags, 0U);
  EXPECT_EQ(ours.dlfo_link_map, nullptr);
}

TEST(FindObject, AgreesWithGlibc) {
  int on_stack = 0;
  expect_same_as_glibc(reinterpret_cast<void*>(&local_function), "this executable");
  expect_same_as_glibc(reinterpret_cast<char*>(&local_function) + 1, "inside a function");
  expect_same_as_glibc(reinterpret_cast<void*>(&std::fputs), "libc");
  expect_same_as_glibc(&on_stack, "the stack: no object");
  expect_same_as_glibc(nullptr, "null: no object");
}

TEST(FindObject, TheStaticUnwinderCallsItAndCatches) {
  const int before = wrapped_calls.load();
  std::string caught;
  try {
    throw_from(5);
  } catch (const std::runtime_error& e) {
    caught = e.what();
  }
  EXPECT_EQ(caught, "from below");
  EXPECT_GT(wrapped_calls.load(), before)
      << "the unwinder did not call __wrap__dl_find_object: this test must be linked with "
         "-static-libstdc++ -static-libgcc -Wl,--wrap=_dl_find_object";
}

}  // namespace
}  // namespace sbapi::bootstrap

#endif  // DLFO_STRUCT_HAS_EH_DBASE
