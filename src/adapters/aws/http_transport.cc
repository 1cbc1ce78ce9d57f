#include "adapters/aws/http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "core/trace_context.h"

namespace sbapi::aws {
namespace {

// Idle handles kept for reuse; more concurrent callers than this simply get fresh handles.
constexpr std::size_t kMaxIdleHandles = 32;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<HeaderList*>(user);
  std::string_view line(data, size * count);
  // A new status line (after "100 Continue", say) starts a new header block.
  if (line.starts_with("HTTP/")) {
    headers->clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    headers->emplace_back(lower(trim(line.substr(0, colon))),
                          std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

TransportError::Kind kind_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportError::Kind::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::Kind::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
      return TransportError::Kind::kTls;
    default:
      return TransportError::Kind::kOther;
  }
}

}  // namespace

std::optional<std::string_view> HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return std::string_view(value);
  }
  return std::nullopt;
}

bool is_retryable(const TransportError& error) {
  return error.kind == TransportError::Kind::kConnect ||
         error.kind == TransportError::Kind::kTimeout;
}

void append_trace_headers(HeaderList& headers) {
  for (Header& header : outgoing_trace_headers()) {
    headers.emplace_back(std::move(header.name), std::move(header.value));
  }
}

struct CurlTransport::Impl {
  CurlTransportOptions options;
  std::mutex mu;
  std::vector<CURL*> idle;  // guarded by mu

  ~Impl() {
    for (CURL* handle : idle) curl_easy_cleanup(handle);
  }

  CURL* acquire() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        CURL* handle = idle.back();
        idle.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }

  void release(CURL* handle) {
    {
      std::lock_guard lock(mu);
      if (idle.size() < kMaxIdleHandles) {
        idle.push_back(handle);
        return;
      }
    }
    curl_easy_cleanup(handle);
  }
};

CurlTransport::CurlTransport(CurlTransportOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->options = std::move(options);
}

CurlTransport::~CurlTransport() = default;

std::expected<HttpResponse, TransportError> CurlTransport::send(const HttpRequest& request) {
  try {
    // Both guards run on every path, including a std::bad_alloc from the string work below.
    struct Lease {
      Impl& impl;
      CURL* handle;
      ~Lease() {
        if (handle != nullptr) impl.release(handle);
      }
    } lease{*impl_, impl_->acquire()};
    struct HeaderGuard {
      curl_slist* list = nullptr;
      ~HeaderGuard() { curl_slist_free_all(list); }
    } header_guard;
    CURL* curl = lease.handle;
    if (curl == nullptr) {
      return std::unexpected(TransportError{TransportError::Kind::kOther, "curl_easy_init failed"});
    }
    // curl_easy_reset keeps the handle's connection cache, which is the point of pooling.
    curl_easy_reset(curl);

    HttpResponse response;
    curl_slist*& headers = header_guard.list;
    bool has_content_type = false;
    for (const auto& [name, value] : request.headers) {
      if (lower(name) == "content-type") has_content_type = true;
      // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would delete it).
      headers =
          curl_slist_append(headers, (value.empty() ? name + ";" : name + ": " + value).c_str());
    }
    // libcurl would otherwise add a form content type to POSTs and "Expect: 100-continue" to
    // large bodies (an extra round trip).
    if (!has_content_type) headers = curl_slist_append(headers, "Content-Type:");
    headers = curl_slist_append(headers, "Expect:");

    const auto& opt = impl_->options;
    const auto timeout = request.timeout.count() > 0 ? request.timeout : opt.request_timeout;
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    // Loopback (the Lambda Runtime API, local engines) never goes through an http_proxy a user
    // may have set; AWS endpoints still honour it.
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!opt.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, opt.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::max<long long>(1, opt.connect_timeout.count())));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<long long>(1, timeout.count())));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

    const std::string& method = request.method;
    if (method == "GET" && request.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
      // Any method with a body (possibly empty: Content-Length: 0) goes out as POST data under
      // the requested method name.
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      if (method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    }

    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);

    if (code != CURLE_OK) {
      std::string message = curl_easy_strerror(code);
      if (error_buffer[0] != '\0') message += std::string(": ") + error_buffer;
      return std::unexpected(TransportError{kind_of(code), std::move(message)});
    }
    response.status = static_cast<int>(status);
    return response;
  } catch (const std::exception& e) {
    return std::unexpected(TransportError{TransportError::Kind::kOther, e.what()});
  }
}

}  // namespace sbapi::aws
