// Test-only, header-only: cases of the aws-c-auth SigV4 test suite (see sigv4_aws_suite_test.cc),
// GET requests with unnormalized paths, and with headers to trim, merge and order.
#pragma once

#include <vector>

#include "sigv4/sigv4_suite_case.h"

namespace sbapi::sigv4::suite {

inline std::vector<SuiteCase> path_and_header_cases() {
  return {
      {
          "get-space-unnormalized",
          "GET",
          "/example space/",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/example%20space/

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86)cr",
          "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
          R"cr(GET
/example%20space/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
cc3dd817bd405e51225826ec4934a96d065d6af5b6b0163c7a5abbd26a84519e)cr",
          "7a1f416954786484c9824d93c1f26ef64acb9b1b6c9154d08c9f07d0e394abf6",
      },
      {
          "get-slash-unnormalized",
          "GET",
          "//",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
//

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
80cb39203d058af815de2b79250ff56e1b73eb9b4718c86556cdc6f150c5d209)cr",
          "c88bcd3d312d75078c0cd961d6deae3f4c754924b01669efcfcb439fd5e5b76e",
          R"cr(GET
//
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
e10a01494cafa1f2207c4de80c69b7a36d6f2d282aa63ee64a5ca50e175cf730)cr",
          "b2a9542809db687769200f56a844a03f2bd0291d6eb90232d5101c6a579446cd",
      },
      {
          "get-slashes-unnormalized",
          "GET",
          "//example//",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
//example//

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
528ec3105ee1f34ab014bb0a1a45da0ed2742a4fea3555149e5b4d5d201eb240)cr",
          "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5",
          R"cr(GET
//example//
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
82241114f9a6320f054333c890952474aa7a0069d28a4326c3a8d95bbecc69ee)cr",
          "822a5a9ba28072c5ab2bb4a6307d0c88276d40e49fec6b724c03fb4d4ba60fc2",
      },
      {
          "get-slash-dot-slash-unnormalized",
          "GET",
          "/./",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/./

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
d67825e2268bd77a97c7688b8d72c31a3c1855b309808505ba0a9747d2465aa7)cr",
          "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145",
          R"cr(GET
/./
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
21b2da17873f30c1a7410efdc271738b318ccc2c9c6fbe1289fc242aeb1a8ae1)cr",
          "a9b13e8f3484d9505bf1a6f347219f8f35b0fe8f128ceea597efc146a3dfe90c",
      },
      {
          "get-slash-pointless-dot-unnormalized",
          "GET",
          "/./example",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/./example

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
73895e0e829507e28e39fd24669aedc2434a8e179e547e3c075b42921f952cdb)cr",
          "beb03f223f7deae4146464f06e29eebbee9c8afbe15c290cf07aa8b119e14cff",
          R"cr(GET
/./example
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
cb23444939471187ac1f0fb25d437337af0d5f48b5ae0ede5baa3727c8c6af92)cr",
          "72b11f16d9530b18204bfb71f2d6ab085894c0ed8d352730a6e76234c58b5e10",
      },
      {
          "get-relative-unnormalized",
          "GET",
          "/example/..",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/example/..

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
0511f456aa502b456d135fcb9d749374a55228f9dbeedda1eacf659e05b0615b)cr",
          "eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282",
          R"cr(GET
/example/..
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
6e02e2dba21d6f269bae339b86ff27a4b7bbc9d88c482abccbfbf8a49d602482)cr",
          "cbcb213b928a077e43275df47b500f1dfaa864ab3f5a18f6b95f4ff0938167ee",
      },
      {
          "get-relative-relative-unnormalized",
          "GET",
          "/example1/example2/../..",
          {},
          {},
          "",
          false,
          "",
          R"cr(GET
/example1/example2/../..

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
76115030c0f3ff06c20fdff5ceb6d5e0b835a1743e00b94fea7c7f381269437b)cr",
          "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b",
          R"cr(GET
/example1/example2/../..
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
13b7758115ec070fe36a7ae9d754154ad73f6ee9a5eac022494857d0e7effc18)cr",
          "b45db0bfd1cf15003493b733e33aa208dd981bd0e63037a6ed953f71d2118a16",
      },
      {
          "get-header-value-trim",
          "GET",
          "/",
          {},
          {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
          "",
          false,
          "",
          R"cr(GET
/

host:example.amazonaws.com
my-header1:value1
my-header2:"a b c"
x-amz-date:20150830T123600Z

host;my-header1;my-header2;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7)cr",
          "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1%3Bmy-header2
host:example.amazonaws.com
my-header1:value1
my-header2:"a b c"

host;my-header1;my-header2
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
84c9e353b6161b689210977f93b93e6a7182f9ecb2ceae8af8c3d86b080a88ae)cr",
          "e7bb0fd515e125e1aec2ecc4c0c17484fb06f6846b927c35e46005dd3df3acd4",
      },
      {
          "get-header-key-duplicate",
          "GET",
          "/",
          {},
          {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
          "",
          false,
          "",
          R"cr(GET
/

host:example.amazonaws.com
my-header1:value2,value2,value1
x-amz-date:20150830T123600Z

host;my-header1;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c)cr",
          "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1
host:example.amazonaws.com
my-header1:value2,value2,value1

host;my-header1
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
fe8b58fb44117d598520befc07c144a5699c661a8db78f9ce4caee1655dec813)cr",
          "3349ee0b81b4b589da0ff28a395c3591e04de515651dd74f298fa992d1507a97",
      },
      {
          "get-header-value-order",
          "GET",
          "/",
          {},
          {{"My-Header1", "value4"},
           {"My-Header1", "value1"},
           {"My-Header1", "value3"},
           {"My-Header1", "value2"}},
          "",
          false,
          "",
          R"cr(GET
/

host:example.amazonaws.com
my-header1:value4,value1,value3,value2
x-amz-date:20150830T123600Z

host;my-header1;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86)cr",
          "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1
host:example.amazonaws.com
my-header1:value4,value1,value3,value2

host;my-header1
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
f4d3f13084ba7664111670ce26458291d3e0c620acd9384f8cd6b60d8e83423e)cr",
          "313720e71ca6202fdcfa9b20f88de01a4eb0638a83c833b1c184359a4eda864e",
      },
      {
          "get-header-value-multiline",
          "GET",
          "/",
          {},
          {{"My-Header1", "value1\x0A  value2\x0A     value3"}},
          "",
          false,
          "",
          R"cr(GET
/

host:example.amazonaws.com
my-header1:value1 value2 value3
x-amz-date:20150830T123600Z

host;my-header1;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
e99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8)cr",
          "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
          R"cr(GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1
host:example.amazonaws.com
my-header1:value1 value2 value3

host;my-header1
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)cr",
          R"cr(AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/service/aws4_request
0e73c10e35324b4d215da4bb70be61d13a3d30d569be4ed6e8fd8948965341ca)cr",
          "e6f5def831211aca02987a44b96826706278c7bc078112ae0263659c5b2f2d56",
      },
  };
}

}  // namespace sbapi::sigv4::suite
