#include "core/validation.h"

#include <gtest/gtest.h>

#include <string>

namespace sbapi {
namespace {

TEST(IdRule, AcceptsOneTo128AllowedCharacters) {
  EXPECT_TRUE(is_valid_id("a"));
  EXPECT_TRUE(is_valid_id(std::string(128, 'x')));
  EXPECT_TRUE(is_valid_id("Az09._-"));
  EXPECT_FALSE(is_valid_id(""));
  // Never exactly "." or ".." (an id is a segment of an object key); other dotted ids are fine.
  EXPECT_FALSE(is_valid_id("."));
  EXPECT_FALSE(is_valid_id(".."));
  EXPECT_TRUE(is_valid_id("..."));
  EXPECT_TRUE(is_valid_id(".a"));
  EXPECT_FALSE(is_valid_id(std::string(129, 'x')));
  for (std::string_view bad : {"a b", "a/b", "a\\b", "a@b", "é", "a\n", "a%20"}) {
    EXPECT_FALSE(is_valid_id(bad)) << bad;
  }
}

TEST(EmailRule, LengthBoundsAreInclusive) {
  EXPECT_FALSE(is_valid_email("@."));  // 2 characters
  EXPECT_TRUE(is_valid_email("a@b.c"));
  EXPECT_FALSE(is_valid_email("\xff\xfe@example.com"));  // not UTF-8 (a query value can be)
  // 254 characters: 64-character local part, '@', 189-character domain.
  std::string local(64, 'l');
  std::string domain = std::string(185, 'd') + ".com";
  std::string at_limit = local + "@" + domain;
  ASSERT_EQ(at_limit.size(), 254u);
  EXPECT_TRUE(is_valid_email(at_limit));
  EXPECT_FALSE(is_valid_email("l" + at_limit));  // 255
}

TEST(EmailRule, ShortestValidAddressHasFiveCharacters) {
  // The length floor (3) is reached before the structure rules pass, so both sides matter.
  EXPECT_FALSE(is_valid_email("a@b"));
  EXPECT_FALSE(is_valid_email("a@.c"));
  EXPECT_TRUE(is_valid_email("a@b.c"));
}

TEST(EmailRule, Structure) {
  EXPECT_TRUE(is_valid_email("first.last+tag@sub.example.org"));
  for (std::string_view bad : {"ab.c", "a@@b.c", "a@b@c.d", "@b.c", "a@b", "a@b.", "a@.b", "a@b..c",
                               "a b@c.d", "a@b.c ", "a\t@b.c", "a@b\x7f.c"}) {
    EXPECT_FALSE(is_valid_email(bad)) << bad;
  }
}

TEST(EmailRule, RefusesUnicodeWhitespaceAndC1Controls) {
  // NEL and another C1 control, no-break space, ogham space, en quad, hair space, line and
  // paragraph separators, narrow no-break space, medium mathematical space, ideographic space.
  for (std::string_view space :
       {"\xC2\x85", "\xC2\x9F", "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x8A",
        "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"}) {
    EXPECT_FALSE(is_valid_email("a" + std::string(space) + "b@c.d"))
        << testing::PrintToString(space);
  }
  // Neighbours that are neither: é (U+00E9), zero-width space (U+200B, not White_Space), 😀.
  EXPECT_TRUE(is_valid_email("r\xC3\xA9my@example.fr"));
  EXPECT_TRUE(
      is_valid_email("a\xE2\x80\x8B"
                     "b@c.d"));
  EXPECT_TRUE(is_valid_email("\xF0\x9F\x98\x80@c.d"));
}

TEST(TextRule, AtMost256Characters) {
  EXPECT_TRUE(is_valid_text(""));
  EXPECT_TRUE(is_valid_text(std::string(256, 'n')));
  EXPECT_FALSE(is_valid_text(std::string(257, 'n')));
}

TEST(TextRule, CountsCharactersNotBytes) {
  std::string e_acute = "\xC3\xA9";  // é, two bytes
  std::string at_limit;
  for (int i = 0; i < 256; ++i) at_limit += e_acute;
  EXPECT_TRUE(is_valid_text(at_limit));
  EXPECT_FALSE(is_valid_text(at_limit + e_acute));
  EXPECT_EQ(utf8_length("a\xC3\xA9\xF0\x9F\x98\x80"), 3u);  // a, é, 😀
}

TEST(TextRule, RejectsControlCharactersButTab) {
  EXPECT_TRUE(is_valid_text("R&D\tLab"));
  EXPECT_FALSE(is_valid_text("line\nbreak"));
  EXPECT_FALSE(is_valid_text(std::string("nul\0x", 5)));
  EXPECT_FALSE(is_valid_text("del\x7f"));
  EXPECT_FALSE(is_valid_text("next\xC2\x85line"));  // NEL (C1)
  EXPECT_FALSE(
      is_valid_text("csi\xC2\x9B"
                    "31m"));                           // C1 CSI: a terminal escape
  EXPECT_FALSE(is_valid_text("line\xE2\x80\xA8sep"));  // U+2028
  EXPECT_FALSE(is_valid_text("para\xE2\x80\xA9sep"));  // U+2029
  // Spaces other than ASCII are text: a no-break space in a name, an ideographic space.
  EXPECT_TRUE(
      is_valid_text("Jean\xC2\xA0"
                    "Dupont"));
  EXPECT_TRUE(is_valid_text("\xE5\xB1\xB1\xE7\x94\xB0\xE3\x80\x80\xE5\xA4\xAA\xE9\x83\x8E"));
  EXPECT_TRUE(is_valid_text("\xC2\xA9 \xC2\xA0"));  // U+00A9, U+00A0: first bytes after C1
}

}  // namespace
}  // namespace sbapi

namespace sbapi {
namespace {

TEST(FileNameRule, OneTo255BytesThatStayInsideTheKey) {
  EXPECT_TRUE(is_valid_file_name("a"));
  EXPECT_TRUE(is_valid_file_name("report..final v2 (1).pdf"));
  EXPECT_TRUE(is_valid_file_name(".hidden"));
  EXPECT_TRUE(is_valid_file_name(std::string(255, 'f')));
  EXPECT_FALSE(is_valid_file_name(std::string(256, 'f')));
  EXPECT_FALSE(is_valid_file_name(""));
  for (std::string_view bad :
       {".", "..", "../x", "a/b", "a\\b", "/abs", "tab\there", "nl\n", "del\x7f"}) {
    EXPECT_FALSE(is_valid_file_name(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_file_name(std::string("nul\0x", 5)));
}

TEST(FileNameRule, CountsBytesNotCharacters) {
  std::string name;
  for (int i = 0; i < 127; ++i) name += "\xC3\xA9";  // 254 bytes
  EXPECT_TRUE(is_valid_file_name(name + "x"));
  EXPECT_FALSE(is_valid_file_name(name + "\xC3\xA9"));  // 256 bytes
}

TEST(MediaTypeRule, TypeSlashSubtypeWithOptionalParameters) {
  for (std::string_view good :
       {"application/pdf", "image/png", "application/vnd.ms-excel", "text/plain; charset=utf-8",
        "text/plain;charset=\"utf-8\"", "multipart/x-mixed; a=b; c=\"d e\"", "a/b+c"}) {
    EXPECT_TRUE(is_valid_media_type(good)) << good;
  }
  for (std::string_view bad : {"", "pdf", "image/", "/png", "image/png/x", "image png",
                               "text/plain;", "text/plain; charset", "text/plain; =x",
                               "text/plain; a=\"open", "image/p\nng", "ima(ge/png"}) {
    EXPECT_FALSE(is_valid_media_type(bad)) << bad;
  }
  EXPECT_TRUE(is_valid_media_type("a/" + std::string(253, 'b')));
  EXPECT_FALSE(is_valid_media_type("a/" + std::string(254, 'b')));
}

}  // namespace
}  // namespace sbapi

namespace sbapi {
namespace {

TEST(Utf8Test, AcceptsWellFormedUtf8) {
  for (const char* text : {"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                           "\xF4\x8F\xBF\xBF", "\xED\x9F\xBF"}) {
    EXPECT_TRUE(is_valid_utf8(text)) << text;
  }
}

TEST(Utf8Test, RefusesWhatRfc3629Forbids) {
  for (const char* text : {"\xA9",              // a lone continuation byte (fuzzing found it)
                           "\xC3",              // cut short
                           "\xC0\xAF",          // overlong '/'
                           "\xE0\x80\xAF",      // overlong
                           "\xED\xA0\x80",      // a surrogate
                           "\xF4\x90\x80\x80",  // above U+10FFFF
                           "\xFF"}) {
    EXPECT_FALSE(is_valid_utf8(text)) << text;
  }
}

}  // namespace
}  // namespace sbapi
