#include "adapters/local/object_files.h"

#include <gtest/gtest.h>

#include "testing/files.h"
#include "testing/temp_dir.h"

namespace sbapi {
namespace {

namespace fs = std::filesystem;

class ObjectFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files = std::make_unique<ObjectFiles>(dir);
    ASSERT_TRUE(files->prepare());
  }

  static std::string read(const std::string& path) { return testutil::read_file(path); }
  std::size_t temp_files() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir / "objects-tmp"), fs::directory_iterator()));
  }

  testutil::TempDir temp{"sbapi-objects"};
  fs::path dir = temp.path();
  std::unique_ptr<ObjectFiles> files;
};

TEST_F(ObjectFilesTest, CommittedObjectReadsBackWithMd5ETagAndContentType) {
  auto writer = files->begin_write("b", "assets/a1/x.bin", "image/png");
  ASSERT_TRUE(writer);
  const std::string part1("The quick brown fox ", 20);
  const std::string part2("jumps over the lazy dog");
  ASSERT_TRUE((*writer)->write(part1));
  ASSERT_TRUE((*writer)->write(part2));
  auto stored = (*writer)->commit();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->size, 43u);
  EXPECT_EQ(stored->etag, "9e107d9d372bb6826bd81d3542a419d6");  // MD5 of the pangram
  auto got = files->open("b", "assets/a1/x.bin");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size, 43u);
  EXPECT_EQ(got->etag, stored->etag);
  EXPECT_EQ(got->content_type, "image/png");
  EXPECT_EQ(read(got->file_path), part1 + part2);
  EXPECT_EQ(got->file_path, (dir / "objects" / "b" / "assets/a1/x.bin").string());
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(ObjectFilesTest, AnUncommittedWriteLeavesNothingBehind) {
  {
    auto writer = files->begin_write("b", "k", "text/plain");
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->write("half"));
    EXPECT_EQ(temp_files(), 1u);
  }
  EXPECT_EQ(temp_files(), 0u);
  auto got = files->open("b", "k");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().status, 404);
  EXPECT_EQ(got.error().code, "NoSuchKey");
}

TEST_F(ObjectFilesTest, AnOverwriteIsAllOrNothing) {
  auto first = files->begin_write("b", "k", "text/plain");
  ASSERT_TRUE((*first)->write("old"));
  ASSERT_TRUE((*first)->commit());
  {
    auto second = files->begin_write("b", "k", "text/html");
    ASSERT_TRUE((*second)->write("new but abandoned"));
  }
  auto got = files->open("b", "k");
  ASSERT_TRUE(got);
  EXPECT_EQ(read(got->file_path), "old");
  EXPECT_EQ(got->content_type, "text/plain");
}

TEST_F(ObjectFilesTest, AMissingSidecarFallsBackToARecomputedETag) {
  auto writer = files->begin_write("b", "k", "text/plain");
  ASSERT_TRUE((*writer)->write("abc"));
  ASSERT_TRUE((*writer)->commit());
  fs::remove_all(dir / "objects-meta");  // as if a crash hit between the two renames
  auto got = files->open("b", "k");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->etag, "900150983cd24fb0d6963f7d28e17f72");  // MD5("abc")
  EXPECT_EQ(got->content_type, "application/octet-stream");
}

TEST(ObjectKeyRule, KeysCannotLeaveTheirBucketFolder) {
  EXPECT_TRUE(is_safe_object_key("assets/a1/report v2 (final).pdf"));
  EXPECT_TRUE(is_safe_object_key("a..b/.c"));
  EXPECT_TRUE(is_safe_object_key(std::string(1024, 'k')));
  EXPECT_FALSE(is_safe_object_key(std::string(1025, 'k')));
  for (std::string_view bad : {"", "../x", "a/../b", "a/./b", "/abs", "a//b", "a/", ".", ".."}) {
    EXPECT_FALSE(is_safe_object_key(bad)) << bad;
  }
  EXPECT_FALSE(is_safe_object_key(std::string("a\0b", 3)));
}

TEST_F(ObjectFilesTest, UnsafeKeysAreRefusedForWritingAndReading) {
  auto w = files->begin_write("b", "../escape", "text/plain");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().status, 400);
  EXPECT_EQ(files->open("b", "../escape").error().status, 404);
  EXPECT_FALSE(fs::exists(dir / "objects" / "escape"));
}

}  // namespace
}  // namespace sbapi
