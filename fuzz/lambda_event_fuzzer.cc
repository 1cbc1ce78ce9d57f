// Fuzz target: Lambda invocation payloads, src/lambda/events.cc and event_handler.cc.
//
// The input is an invocation payload. It goes through `EventHandler::handle` with an Api over
// in-memory tables (users u1, assets a1 pending and a2 uploaded: fuzz_support.h) that also takes
// S3 events; when it is a JSON object, also straight through `classify`, `parse_api_v1`,
// `parse_api_v2`, `parse_s3` and `authorizer_identity` (v1 and v2 claims; whatever its kind),
// and its text through `base64_decode` and
// `decode_s3_key`.
//
// Checks, besides ASan/UBSan reports:
//   - no invocation ends in Runtime.UnknownReason (an exception escaped the core: a bug), and
//     only documented error types come back;
//   - an API event's response is a JSON object in its event's format, with an integer statusCode
//     that is never 5xx (memory tables do not fail) and a body that is a JSON object;
//   - an S3 event's response is JSON: {"records":[{key, result}]}, one per record;
//   - the decoders never grow their input;
//   - an identity read from authorizer claims has a non-empty subject, and no empty group.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "lambda/authorizer_claims.h"
#include "lambda/event_handler.h"
#include "lambda/events.h"

namespace {

namespace json = boost::json;
using sbapi::fuzz::fail;
namespace lambda = sbapi::lambda;

json::object parse_object(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) fail(what, text);
  return std::move(v.get_object());
}

void check_api_response(std::string_view output, std::string_view payload) {
  const json::object response = parse_object(output, "an API response is not a JSON object");
  const auto* status = response.if_contains("statusCode");
  if (status == nullptr || !status->is_int64()) fail("statusCode is not an integer", output);
  if (status->get_int64() >= 500)
    fail("an API event got a 5xx", std::string(output) + "\n" + std::string(payload));
  const auto* body = response.if_contains("body");
  if (body == nullptr || !body->is_string()) fail("body is not a string", output);
  if (!(status->get_int64() == 204 && body->get_string().empty())) {
    parse_object(body->get_string(), "an API response body is not a JSON object");
  }
  const auto* headers = response.if_contains("headers");
  if (headers == nullptr || !headers->is_object()) fail("headers is not an object", output);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto& world = sbapi::fuzz::World::instance();
  world.reset();

  // The building blocks, on the raw text.
  if (const auto decoded = lambda::base64_decode(payload); decoded && decoded->size() > size) {
    fail("base64_decode grew its input", payload);
  }
  if (const auto key = lambda::decode_s3_key(payload); key && key->size() > size) {
    fail("decode_s3_key grew its input", payload);
  }

  // The event parsers on any JSON object, whatever it claims to be.
  lambda::EventKind kind = lambda::EventKind::kUnsupported;
  std::size_t records = 0;
  {
    boost::system::error_code ec;
    const json::value event = json::parse(payload, ec);
    if (!ec) {
      kind = lambda::classify(event);
      if (const auto* object = event.if_object()) {
        (void)lambda::parse_api_v1(*object);
        (void)lambda::parse_api_v2(*object);
        records = lambda::parse_s3(*object).size();
        for (const auto claims_kind :
             {lambda::EventKind::kApiGatewayV1, lambda::EventKind::kHttpApiV2}) {
          const auto identity = lambda::authorizer_identity(*object, claims_kind, {});
          if (identity && identity->subject.empty()) fail("an identity with no subject", payload);
          if (identity && std::any_of(identity->groups.begin(), identity->groups.end(),
                                      [](const std::string& g) { return g.empty(); })) {
            fail("an empty group", payload);
          }
        }
      }
    }
  }

  lambda::EventHandler handler(&world.api, &world.assets, world.clock);
  const auto result = handler.handle(payload, {.request_id = "fuzz-request", .cold_start = false});
  if (!result) {
    const std::string& type = result.error().type;
    if (type == lambda::kUnknownReason) {
      fail("Runtime.UnknownReason: an exception escaped the event handler", payload);
    }
    if (type != lambda::kUnsupportedEvent && type != lambda::kUploadNotRecorded) {
      fail("undocumented invocation error type", type);
    }
    if (type == lambda::kUploadNotRecorded && kind != lambda::EventKind::kS3) {
      fail("UploadNotRecorded for an event that is not an S3 event", payload);
    }
    return 0;
  }
  switch (kind) {
    case lambda::EventKind::kApiGatewayV1:
    case lambda::EventKind::kHttpApiV2:
      check_api_response(*result, payload);
      break;
    case lambda::EventKind::kS3: {
      const json::object response = parse_object(*result, "an S3 event's response is not JSON");
      const auto* list = response.if_contains("records");
      if (list == nullptr || !list->is_array() || list->get_array().size() != records) {
        fail("an S3 event's response does not report each record", *result);
      }
      break;
    }
    case lambda::EventKind::kUnsupported:
      fail("an unsupported event succeeded", payload);
  }
  return 0;
}
