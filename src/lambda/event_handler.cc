#include "lambda/event_handler.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <exception>
#include <optional>

#include "core/access_log.h"
#include "core/asset_key.h"
#include "core/asset_uploads.h"
#include "lambda/authorizer_claims.h"
#include "lambda/events.h"

namespace sbapi::lambda {
namespace {

namespace json = boost::json;

std::unexpected<InvocationError> unsupported(std::string_view why) {
  std::string message = "Unsupported event";
  if (!why.empty()) message.append(": ").append(why);
  return std::unexpected(InvocationError{kUnsupportedEvent, std::move(message)});
}

// An asset key's assetId ("-" for any other key), for logs (the file name may be personal).
std::string_view asset_id_of(std::string_view key) {
  const std::optional<AssetKeyParts> parts = parse_asset_key(key);
  return parts ? parts->asset_id : "-";
}

}  // namespace

std::expected<std::string, InvocationError> EventHandler::handle(std::string_view payload,
                                                                 const InvocationInfo& info) {
  try {
    boost::system::error_code ec;
    json::value event = json::parse(payload, ec);
    if (ec) return unsupported("the payload is not JSON");
    const EventKind kind = classify(event);
    if (kind == EventKind::kUnsupported) return unsupported("");
    if (kind == EventKind::kS3) {
      if (uploads_ == nullptr) return unsupported("this function does not take S3 events");
      return handle_s3(event.get_object(), info);
    }
    if (api_ == nullptr) return unsupported("this function does not take API Gateway events");

    const bool v2 = kind == EventKind::kHttpApiV2;
    auto parsed = v2 ? parse_api_v2(event.get_object()) : parse_api_v1(event.get_object());
    RequestContext context;
    context.request_id = std::string(info.request_id);
    context.cold_start = info.cold_start;
    context.amzn_trace_id = std::string(info.trace_id);  // what X-Ray expects, when present
    Response response;
    if (!parsed) {
      response = api_->reject("", "", 400, "Invalid request body", context);
    } else {
      if (!parsed->request_id.empty()) context.request_id = std::move(parsed->request_id);
      if (context.amzn_trace_id.empty()) {
        // No runtime trace (sbapi invoke, X-Ray off): API Gateway's header, when it sent one.
        if (const std::string* header = parsed->request.header("x-amzn-trace-id")) {
          context.amzn_trace_id = *header;
        }
      }
      if (gateway_claims_) {
        context.identity = authorizer_identity(event.get_object(), kind, *gateway_claims_);
      }
      response = api_->handle(parsed->request, context);
    }
    return v2 ? to_api_v2_response(response) : to_api_v1_response(response);
  } catch (const std::exception& e) {
    log_event("error", "unhandled exception",
              {{"requestId", std::string(info.request_id)}, {"detail", e.what()}});
    return std::unexpected(InvocationError{kUnknownReason, "Internal error"});
  }
}

std::expected<std::string, InvocationError> EventHandler::handle_s3(const json::object& event,
                                                                    const InvocationInfo& info) {
  const std::vector<S3Record> records = parse_s3(event);
  json::array results;
  std::string failures;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const S3Record& record = records[i];
    const std::string_view asset_id = asset_id_of(record.key);
    std::string problem = record.error;
    std::string_view result;
    if (problem.empty() && !record.event_name.starts_with("ObjectCreated:")) {
      result = "ignored";
    } else if (problem.empty()) {
      auto recorded = record_upload(*uploads_, clock_, record.key, record.size, record.etag);
      if (!recorded) {
        problem = recorded.error().kind == StoreError::Kind::kUnavailable ? "storage unavailable"
                                                                          : "storage error";
        log_event("error", "cannot record upload",
                  {{"requestId", std::string(info.request_id)},
                   {"assetId", std::string(asset_id)},
                   {"detail", recorded.error().detail}});
      } else {
        result = *recorded == UploadRecord::kMarked ? "uploaded" : "no-asset";
      }
    }
    if (!problem.empty()) {
      ++failed;
      if (!failures.empty()) failures += "; ";
      failures +=
          "record " + std::to_string(i) + " (asset " + std::string(asset_id) + "): " + problem;
      continue;
    }
    log_event("info", "upload event",
              {{"requestId", std::string(info.request_id)},
               {"assetId", std::string(asset_id)},
               {"event", record.event_name},
               {"result", result},
               {"coldStart", info.cold_start}});
    results.push_back(json::object{{"key", record.key}, {"result", result}});
  }
  if (failed > 0) {
    return std::unexpected(InvocationError{
        kUploadNotRecorded, std::to_string(failed) + " of " + std::to_string(records.size()) +
                                " S3 records not recorded: " + failures});
  }
  return json::serialize(json::object{{"records", std::move(results)}});
}

}  // namespace sbapi::lambda
