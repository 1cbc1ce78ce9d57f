// The object endpoint port: serving presigned S3 object requests (local backend only). It lives
// beside its only caller, the HTTP server (src/server); its only implementation is
// adapters/local/local_object_endpoint.h. The core knows nothing of it.
//
// On AWS, S3 itself serves presigned URLs. Locally, the same `sbapi serve` process answers
// path-style `PUT|GET|HEAD /<bucket>/<key>` requests. The HTTP server owns the wire (it streams
// bodies, never holding an upload whole in memory, and sends files); an `ObjectEndpoint` owns
// everything else: authorisation (SigV4 query signatures, checked from the request head before
// any body byte is read), storage, and what happens after a successful upload.
//
// Errors are S3-style: a status, an S3 error code and a message, rendered as S3's XML body.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/http.h"

namespace sbapi {

inline constexpr std::uint64_t kMaxObjectBytes = 5ULL * 1024 * 1024 * 1024;  // 5 GiB, as S3

struct ObjectError {
  int status = 500;
  std::string code;     // e.g. "SignatureDoesNotMatch", "NoSuchKey"
  std::string message;  // e.g. "Request has expired"
};

struct StoredObject {
  std::uint64_t size = 0;
  std::string etag;  // MD5 of the bytes, lower-case hex, without quotes
};

// The body of one PUT, streamed in. Nothing is visible until `commit` succeeds; destroying an
// upload that was not committed discards everything written.
class ObjectUpload {
 public:
  virtual ~ObjectUpload() = default;
  virtual std::expected<void, ObjectError> write(std::string_view chunk) = 0;
  // Makes the object durable and visible (atomically), then runs the endpoint's after-upload
  // step (locally: marking the asset uploaded).
  virtual std::expected<StoredObject, ObjectError> commit() = 0;
};

// A stored object ready to be sent by GET or HEAD.
struct ObjectDownload {
  std::string file_path;
  std::uint64_t size = 0;
  std::string content_type;
  std::string etag;                // without quotes
  std::int64_t last_modified = 0;  // epoch seconds
};

class ObjectEndpoint {
 public:
  virtual ~ObjectEndpoint() = default;

  // Whether a request for this raw path belongs to the endpoint ("/<bucket>/..."). Everything
  // else goes to the API.
  [[nodiscard]] virtual bool matches(std::string_view raw_path) const = 0;

  // Authorises a PUT from its head (method, path, query, headers; the body is not read yet) and
  // opens the upload that its body is streamed into.
  virtual std::expected<std::unique_ptr<ObjectUpload>, ObjectError> begin_put(
      const Request& head, std::optional<std::uint64_t> content_length) = 0;

  // Authorises a GET or HEAD and finds the object.
  virtual std::expected<ObjectDownload, ObjectError> get(const Request& head) = 0;

  // S3's XML error document for `error`.
  [[nodiscard]] virtual std::string error_body(const ObjectError& error,
                                               std::string_view request_id) const = 0;
};

}  // namespace sbapi
