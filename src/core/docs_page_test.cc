#include "core/docs_page.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "testing/handler_support.h"

namespace sbapi {
namespace {

using testutil::error_of;

constexpr std::array<StaticFile, 2> kFiles{{
    {"index.html", "text/html; charset=utf-8", "<!DOCTYPE html><p>docs</p>"},
    {"app.js", "text/javascript; charset=utf-8", std::string_view("a\0b", 3)},
}};

TEST(DocsPageTest, ThePageIsNeverCachedStaleAndMayLoadFromItsOwnOriginOnly) {
  const Response r = docs_page_file(kFiles, kDocsPageFile);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<!DOCTYPE html><p>docs</p>");
  ASSERT_NE(r.header("content-type"), nullptr);
  EXPECT_EQ(*r.header("content-type"), "text/html; charset=utf-8");
  ASSERT_NE(r.header("cache-control"), nullptr);
  EXPECT_EQ(*r.header("cache-control"), "no-cache");
  ASSERT_NE(r.header("content-security-policy"), nullptr);
  const std::string& policy = *r.header("content-security-policy");
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(policy.find("script-src 'self';"), std::string::npos);
  EXPECT_NE(policy.find("connect-src 'self';"), std::string::npos);
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-eval"), std::string::npos);
  ASSERT_NE(r.header("x-frame-options"), nullptr);
  EXPECT_EQ(*r.header("x-frame-options"), "DENY");
}

TEST(DocsPageTest, AFileIsAnsweredWholeWithItsMediaTypeAndMayBeCached) {
  const Response r = docs_page_file(kFiles, "app.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::string("a\0b", 3));  // bytes, not a C string
  EXPECT_EQ(*r.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(*r.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(*r.header("cache-control"), "public, max-age=3600");
  EXPECT_EQ(r.header("content-security-policy"), nullptr);
}

TEST(DocsPageTest, OnlyAnExactNameIsAFile) {
  using namespace std::string_view_literals;
  for (const std::string_view name : {""sv, "APP.JS"sv, "app.js/"sv, "/app.js"sv, "../app.js"sv,
                                      "app"sv, "app.js\0"sv, "index.html."sv, "openapi.yaml"sv}) {
    const Response r = docs_page_file(kFiles, name);
    EXPECT_EQ(r.status, 404) << name;
    EXPECT_EQ(error_of(r), "Not found") << name;
  }
}

TEST(DocsPageTest, ABinaryBuiltWithoutThePageAnswers404) {
  EXPECT_EQ(docs_page_file({}, kDocsPageFile).status, 404);
}

}  // namespace
}  // namespace sbapi
