#include "adapters/local/local_object_endpoint.h"

#include <functional>

#include "core/router.h"

namespace sbapi {
namespace {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The upload as the server sees it: the file writer, then the listener on commit.
class Upload final : public ObjectUpload {
 public:
  Upload(std::unique_ptr<ObjectFileWriter> writer, std::string key, const UploadListener& listener,
         std::mutex& commit_lock)
      : writer_(std::move(writer)),
        key_(std::move(key)),
        listener_(listener),
        commit_lock_(commit_lock) {}

  std::expected<void, ObjectError> write(std::string_view chunk) override {
    return writer_->write(chunk);
  }

  std::expected<StoredObject, ObjectError> commit() override {
    // From the rename into place to the recorded size and ETag, no other upload of this key
    // may commit: otherwise the record could describe one upload and the file be another's.
    std::lock_guard lock(commit_lock_);
    auto stored = writer_->commit();
    if (!stored) return stored;
    if (listener_) {
      if (auto r = listener_(key_, *stored); !r) return std::unexpected(r.error());
    }
    return stored;
  }

 private:
  std::unique_ptr<ObjectFileWriter> writer_;
  std::string key_;
  const UploadListener& listener_;
  std::mutex& commit_lock_;
};

}  // namespace

LocalObjectEndpoint::LocalObjectEndpoint(std::string bucket, const ObjectFiles& files,
                                         const PresignedUrlVerifier& verifier, const Clock& clock,
                                         UploadListener on_upload)
    : bucket_(std::move(bucket)),
      prefix_("/" + bucket_ + "/"),
      files_(files),
      verifier_(verifier),
      clock_(clock),
      on_upload_(std::move(on_upload)) {}

bool LocalObjectEndpoint::matches(std::string_view raw_path) const {
  return raw_path.starts_with(prefix_);
}

std::expected<std::string, ObjectError> LocalObjectEndpoint::authorize(const Request& head) const {
  auto verified =
      verifier_.verify(head.method, head.path, head.query, head.headers, clock_.now_seconds());
  if (!verified) {
    const auto& f = verified.error();
    return std::unexpected(ObjectError{f.status, f.code, f.message});
  }
  std::string key;
  if (!percent_decode(std::string_view(head.path).substr(prefix_.size()), key) ||
      !is_safe_object_key(key)) {
    return std::unexpected(ObjectError{400, "InvalidArgument", "Object key is not allowed"});
  }
  return key;
}

std::expected<std::unique_ptr<ObjectUpload>, ObjectError> LocalObjectEndpoint::begin_put(
    const Request& head, std::optional<std::uint64_t> content_length) {
  auto key = authorize(head);
  if (!key) return std::unexpected(key.error());
  if (content_length && *content_length > kMaxObjectBytes) {
    return std::unexpected(ObjectError{400, "EntityTooLarge",
                                       "Your proposed upload exceeds the maximum allowed size"});
  }
  // A signed payload hash would have to be checked against the body; presigned uploads use
  // UNSIGNED-PAYLOAD, so anything else is refused rather than accepted unchecked.
  if (const std::string* hash = head.header("x-amz-content-sha256");
      hash != nullptr && *hash != "UNSIGNED-PAYLOAD") {
    return std::unexpected(ObjectError{
        501, "NotImplemented", "Only UNSIGNED-PAYLOAD uploads are supported by this endpoint"});
  }
  const std::string* content_type = head.header("content-type");
  auto writer = files_.begin_write(bucket_, *key,
                                   content_type != nullptr && !content_type->empty()
                                       ? std::string_view(*content_type)
                                       : std::string_view("application/octet-stream"));
  if (!writer) return std::unexpected(writer.error());
  std::mutex& lock = commit_locks_[std::hash<std::string>{}(*key) % commit_locks_.size()];
  return std::make_unique<Upload>(std::move(*writer), std::move(*key), on_upload_, lock);
}

std::expected<ObjectDownload, ObjectError> LocalObjectEndpoint::get(const Request& head) {
  auto key = authorize(head);
  if (!key) return std::unexpected(key.error());
  return files_.open(bucket_, *key);
}

std::string LocalObjectEndpoint::error_body(const ObjectError& error,
                                            std::string_view request_id) const {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + xml_escape(error.code) +
         "</Code><Message>" + xml_escape(error.message) + "</Message><RequestId>" +
         xml_escape(request_id) + "</RequestId></Error>";
}

}  // namespace sbapi
