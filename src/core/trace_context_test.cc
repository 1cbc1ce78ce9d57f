#include "core/trace_context.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sbapi {
namespace {

// The example of W3C Trace Context level 1, §3.2.
constexpr std::string_view kExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

TEST(TraceContextTest, ParsesTheSpecExampleAndFormatsItBack) {
  const auto trace = parse_traceparent(kExample);
  ASSERT_TRUE(trace);
  EXPECT_EQ(trace->trace_id_hex(), kTraceId);
  EXPECT_EQ(trace->parent_id_hex(), "00f067aa0ba902b7");
  EXPECT_EQ(trace->flags, 1);
  EXPECT_EQ(format_traceparent(*trace), kExample);
}

TEST(TraceContextTest, RoundTripsEveryFlagsValue) {
  for (const std::string_view flags : {"00", "01", "02", "ff", "a9"}) {
    const std::string header = std::string(kExample.substr(0, 53)) + std::string(flags);
    const auto trace = parse_traceparent(header);
    ASSERT_TRUE(trace) << header;
    EXPECT_EQ(format_traceparent(*trace), header);
  }
}

TEST(TraceContextTest, RefusesWhatTheSpecRefuses) {
  const std::string example(kExample);
  for (const std::string& bad : std::vector<std::string>{
           std::string(),
           std::string("00"),
           example.substr(0, 54),                                           // short
           example + "-",                                                   // 00: exactly 55
           example + "-extra",                                              // 00: exactly 55
           "ff" + example.substr(2),                                        // version ff
           "0g" + example.substr(2),                                        // version not hex
           "0A" + example.substr(2),                                        // upper-case version
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",       // upper-case trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",       // upper-case parent id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",       // upper-case flags
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",       // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",       // zero parent id
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",       // not hex
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",       // separator
           "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",       // separator
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",       // separator
           "00-4bf92f3577b34da6a3ce929d0e0e47366-0f067aa0ba902b7-01",       // fields shifted
           " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",      // whitespace
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",      // whitespace
           "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what",  // future, no '-'
           std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\0", 55),
       }) {
    EXPECT_FALSE(parse_traceparent(bad)) << bad;
  }
}

TEST(TraceContextTest, ReadsAFutureVersionAsVersion00) {
  for (const std::string_view header :
       {"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-will-be-like",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"}) {
    const auto trace = parse_traceparent(header);
    ASSERT_TRUE(trace) << header;
    EXPECT_EQ(format_traceparent(*trace), kExample);
  }
}

TEST(TraceContextTest, ChildKeepsTheTraceIdAndFlagsWithANewParentId) {
  const auto parent = parse_traceparent(kExample);
  ASSERT_TRUE(parent);
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const TraceParent child = child_of(*parent);
    EXPECT_EQ(child.trace_id_hex(), kTraceId);
    EXPECT_EQ(child.flags, 1);
    ids.emplace(child.parent_id_hex());
    const std::string header = format_traceparent(child);
    EXPECT_EQ(parse_traceparent(header), child) << header;  // valid, lower-case hex
  }
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_FALSE(ids.contains("00f067aa0ba902b7"));
}

TEST(TraceContextTest, NewTracesAreValidAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const TraceParent trace = new_trace();
    EXPECT_EQ(trace.flags, 0);
    EXPECT_TRUE(parse_traceparent(format_traceparent(trace)));
    ids.emplace(trace.trace_id_hex());
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST(TraceContextTest, ReadsTheXRayHeader) {
  const auto trace = parse_amzn_trace_id(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;"
      "Sampled=1");
  ASSERT_TRUE(trace);
  EXPECT_EQ(trace->trace_id_hex(), "5759e988bd862e3fe1be46a994272793");
  EXPECT_EQ(trace->parent_id_hex(), "53995c3f42cd8ad8");
  EXPECT_EQ(trace->flags, 1);

  // Any order, spaces, unknown fields (Lineage), upper-case hex, no Parent, not sampled.
  const auto other = parse_amzn_trace_id(
      " Sampled=0; Lineage=a87bd80c:0 ;Root=1-5E1B4151-5AC6C58F5B5DBD6A2B2B2B2B");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->trace_id_hex(), "5e1b41515ac6c58f5b5dbd6a2b2b2b2b");
  EXPECT_EQ(other->flags, 0);
  EXPECT_TRUE(parse_traceparent(format_traceparent(*other)));  // a random, valid parent id

  for (const std::string_view bad : {
           "",
           "Parent=53995c3f42cd8ad8;Sampled=1",          // no Root
           "Root=2-5759e988-bd862e3fe1be46a994272793",   // version
           "Root=1-5759e988-bd862e3fe1be46a99427279",    // short
           "Root=1-5759e988-bd862e3fe1be46a9942727933",  // long
           "Root=1-5759e988_bd862e3fe1be46a994272793",   // separator
           "Root=1-5759e98g-bd862e3fe1be46a994272793",   // not hex
           "Root=1-00000000-000000000000000000000000",   // zero
           "root=1-5759e988-bd862e3fe1be46a994272793",   // field names are case-sensitive
       }) {
    EXPECT_FALSE(parse_amzn_trace_id(bad)) << bad;
  }
}

TEST(TraceContextTest, ChecksTracestate) {
  EXPECT_TRUE(valid_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));  // §3.3 example
  EXPECT_TRUE(valid_tracestate("rojo=00f067aa0ba902b7 , ,\tcongo=t61rcWkgMzE"));
  EXPECT_TRUE(valid_tracestate("fw529a3039@dt=a b,1tenant@vendor=x"));
  EXPECT_TRUE(valid_tracestate(""));
  std::string members;
  for (int i = 0; i < 32; ++i) members += (i ? ",k" : "k") + std::to_string(i) + "=v";
  EXPECT_TRUE(valid_tracestate(members));
  EXPECT_FALSE(valid_tracestate(members + ",k32=v"));  // 33 members
  EXPECT_FALSE(valid_tracestate("a=" + std::string(511, 'x')));
  for (const std::string_view bad :
       {"Rojo=1", "rojo", "rojo=", "rojo=a=b", "rojo=a\x7f", "1rojo=a", "rojo=\x01", "@vendor=a",
        "tenant@=a", "t@Vendor=a", "t@vendorvendorvend=a"}) {
    EXPECT_FALSE(valid_tracestate(bad)) << bad;
  }
}

Headers headers(std::initializer_list<std::pair<std::string, std::string>> list) {
  Headers out;
  for (const auto& [name, value] : list) out.push_back({name, value});
  return out;
}

TEST(TraceContextTest, RequestTraceContinuesAValidTraceparent) {
  const TraceContext trace = request_trace(
      headers({{"traceparent", std::string(kExample)}, {"tracestate", "rojo=00f067aa0ba902b7"}}));
  EXPECT_EQ(trace.span.trace_id_hex(), kTraceId);
  EXPECT_NE(trace.span.parent_id_hex(), "00f067aa0ba902b7");
  EXPECT_EQ(trace.span.flags, 1);
  EXPECT_EQ(trace.tracestate, "rojo=00f067aa0ba902b7");

  // Repeated tracestate headers are one list.
  EXPECT_EQ(request_trace(headers({{"traceparent", std::string(kExample)},
                                   {"tracestate", "a=1"},
                                   {"tracestate", "b=2"}}))
                .tracestate,
            "a=1,b=2");
  // A malformed or oversized tracestate is dropped, the traceparent kept.
  for (const std::string& state : {std::string("A=1"), "a=" + std::string(600, 'x')}) {
    const TraceContext t =
        request_trace(headers({{"traceparent", std::string(kExample)}, {"tracestate", state}}));
    EXPECT_EQ(t.span.trace_id_hex(), kTraceId);
    EXPECT_EQ(t.tracestate, "");
  }
}

TEST(TraceContextTest, RequestTraceIgnoresAnInvalidOrRepeatedTraceparent) {
  for (const Headers& h : {
           headers({}),
           headers({{"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"},
                    {"tracestate", "a=1"}}),
           headers(
               {{"traceparent", std::string(kExample)}, {"traceparent", std::string(kExample)}}),
           headers({{"traceparent", std::string(10000, '0')}}),
       }) {
    const TraceContext trace = request_trace(h);
    EXPECT_NE(trace.span.trace_id_hex(), kTraceId);
    EXPECT_EQ(trace.span.flags, 0);
    EXPECT_EQ(trace.tracestate, "");
    EXPECT_TRUE(parse_traceparent(format_traceparent(trace.span)));
  }
}

TEST(TraceContextTest, RequestTraceFallsBackOnTheXRayHeader) {
  constexpr std::string_view kXRay = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
  const TraceContext xray = request_trace(headers({{"traceparent", "junk"}}), kXRay);
  EXPECT_EQ(xray.span.trace_id_hex(), "5759e988bd862e3fe1be46a994272793");
  EXPECT_EQ(xray.span.flags, 1);
  // A valid traceparent wins: the client asked to continue its trace.
  EXPECT_EQ(
      request_trace(headers({{"traceparent", std::string(kExample)}}), kXRay).span.trace_id_hex(),
      kTraceId);
  // An invalid X-Ray header: a new trace.
  EXPECT_TRUE(parse_traceparent(format_traceparent(request_trace({}, "Root=junk").span)));
}

TEST(TraceContextTest, OutgoingHeadersFollowTheThreadsCurrentTrace) {
  EXPECT_EQ(current_trace(), nullptr);
  EXPECT_TRUE(outgoing_trace_headers().empty());
  const TraceContext outer = request_trace(
      headers({{"traceparent", std::string(kExample)}, {"tracestate", "rojo=00f067aa0ba902b7"}}));
  {
    const ScopedTrace scoped(outer);
    EXPECT_EQ(current_trace(), &outer);
    const Headers out = outgoing_trace_headers();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].name, "traceparent");
    const auto sent = parse_traceparent(out[0].value);
    ASSERT_TRUE(sent);
    EXPECT_EQ(sent->trace_id_hex(), kTraceId);
    EXPECT_NE(sent->parent_id, outer.span.parent_id);  // a span of its own
    EXPECT_EQ(sent->flags, 1);
    EXPECT_EQ(out[1].name, "tracestate");
    EXPECT_EQ(out[1].value, "rojo=00f067aa0ba902b7");

    const TraceContext inner = request_trace({});
    {
      const ScopedTrace nested(inner);
      EXPECT_EQ(current_trace(), &inner);
      EXPECT_EQ(outgoing_trace_headers().size(), 1u);  // no tracestate
    }
    EXPECT_EQ(current_trace(), &outer);
    std::thread([] { EXPECT_EQ(current_trace(), nullptr); }).join();  // per thread
  }
  EXPECT_EQ(current_trace(), nullptr);
}

}  // namespace
}  // namespace sbapi
