// What a failed BOOST_ASSERT does in the builds that keep assertions (Debug, the sanitizer build,
// the fuzz targets): the build defines BOOST_ENABLE_ASSERT_DEBUG_HANDLER (CMakeLists.txt), so
// Boost calls these instead of assert(). Like assert(), they report and abort, with one
// exception: an assertion Boost itself has since found to be wrong.
//
// Beast 1.81's chunked-body parser asserts `n >= 5` when it resumes after a final chunk whose
// trailer section has not fully arrived, but with no chunk before it 4 bytes are possible (a
// client sends "0\r\n", then "\r", then "\n"); the code after the assertion handles that case
// correctly. Fixed upstream in Beast 1.86 (boostorg/beast pull request 2861). Without this, any
// client could abort a Debug server, and the HTTP fuzzer stops on it after a few minutes.
// Release builds define NDEBUG, where Boost's assertions compile to nothing.
#include <boost/assert.hpp>
#include <boost/version.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

bool is_known_false(std::string_view expr, std::string_view file) {
#if BOOST_VERSION < 108600
  return expr == "n >= 5" && file.ends_with("beast/http/impl/basic_parser.ipp");
#else
  static_cast<void>(expr);
  static_cast<void>(file);
  return false;
#endif
}

}  // namespace

namespace boost {

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
  if (is_known_false(expr, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s\n", file, line, function, expr,
               msg != nullptr ? ": " : ".", msg != nullptr ? msg : "");
  std::abort();
}

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  assertion_failed_msg(expr, nullptr, function, file, line);
}

}  // namespace boost
