import HTTPServer
import HTTPTypes
import Testing

@Suite("Metrics")
struct HTTPServerMetricsTests {
    @Test func countsAndRendersPrometheusText() async throws {
        var router = HTTPRouter()
        try router.addInline(.get, "/ok") { _ in .text("ok") }
        try await withTestServer(router: router) { server, port in
            _ = try await exchange(port, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try await exchange(port, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try await exchange(port, "BREW /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try await exchange(port, "GET /ok HTTP/9.9\r\nHost: x\r\n\r\n")
            let snapshot = server.metrics.snapshot()
            #expect(snapshot.requests["GET"] == ["2xx": 1, "4xx": 1])
            #expect(snapshot.requests["other"] == ["4xx": 1, "5xx": 1])
            #expect(snapshot.latencyBucketCounts.last == 4)
            #expect(snapshot.connectionsAccepted >= 4)
            let text = snapshot.renderPrometheus(namespace: "coffre_http")
            #expect(text.contains("# TYPE coffre_http_requests_total counter\n"))
            #expect(text.contains("coffre_http_requests_total{method=\"GET\",status=\"2xx\"} 1\n"))
            #expect(text.contains("coffre_http_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"))
            #expect(text.contains("coffre_http_request_duration_seconds_count 4\n"))
            #expect(text.contains("# TYPE coffre_http_open_connections gauge\n"))
            // Every sample line is "name{labels} value" or "name value".
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                #expect(line.split(separator: " ").count == 2)
            }
        }
    }
}
