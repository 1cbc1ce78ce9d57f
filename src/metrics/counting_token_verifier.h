// A TokenVerifier that counts the tokens another one refuses, by reason, into ServeMetrics
// (sbapi_token_rejections_total). Everything else is the inner verifier's.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/token_verifier.h"
#include "metrics/serve_metrics.h"

namespace sbapi::metrics {

class CountingTokenVerifier final : public TokenVerifier {
 public:
  // `metrics` must outlive this.
  CountingTokenVerifier(std::unique_ptr<TokenVerifier> inner, ServeMetrics& metrics)
      : inner_(std::move(inner)), metrics_(metrics) {}

  std::expected<Identity, TokenRejection> verify(std::string_view token) override {
    auto identity = inner_->verify(token);
    if (!identity) metrics_.token_rejected(identity.error().reason);
    return identity;
  }
  [[nodiscard]] std::optional<std::string> not_ready() const override {
    return inner_->not_ready();
  }

 private:
  std::unique_ptr<TokenVerifier> inner_;
  ServeMetrics& metrics_;
};

}  // namespace sbapi::metrics
