#include "core/asset_key.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace sbapi {
namespace {

TEST(AssetKey, IsAssetsThenTheIdThenTheFileName) {
  EXPECT_EQ(asset_key("a1", "report.pdf"), "assets/a1/report.pdf");
  EXPECT_EQ(asset_key("A.b_c-9", "Quarterly report (2026) \xC3\xA9t\xC3\xA9.pdf"),
            "assets/A.b_c-9/Quarterly report (2026) \xC3\xA9t\xC3\xA9.pdf");
}

TEST(AssetKey, ParsesBackIntoItsParts) {
  const std::string key = asset_key("a1", "my file.pdf");
  const std::optional<AssetKeyParts> parts = parse_asset_key(key);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->asset_id, "a1");
  EXPECT_EQ(parts->file_name, "my file.pdf");
}

TEST(AssetKey, TheIdEndsAtTheFirstSlash) {
  const auto parts = parse_asset_key("assets/a1/b/c.txt");
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->asset_id, "a1");
  EXPECT_EQ(parts->file_name, "b/c.txt");
}

TEST(AssetKey, OnlyTheShapeIsChecked) {
  const auto empty_parts = parse_asset_key("assets//");
  ASSERT_TRUE(empty_parts.has_value());
  EXPECT_EQ(empty_parts->asset_id, "");
  EXPECT_EQ(empty_parts->file_name, "");
}

TEST(AssetKey, OtherKeysHaveNoParts) {
  for (std::string_view key : {"", "assets", "assets/", "assets/a1", "asset/a1/f.txt",
                               "Assets/a1/f.txt", "other/assets/a1/f.txt", "/assets/a1/f.txt"}) {
    EXPECT_FALSE(parse_asset_key(key).has_value()) << key;
  }
}

}  // namespace
}  // namespace sbapi
