extension HTTPServerMetrics.Snapshot {
    /// The counters in the Prometheus text exposition format (version 0.0.4:
    /// https://prometheus.io/docs/instrumenting/exposition_formats/), names prefixed with
    /// `namespace` (e.g. `coffre_http`).
    public func renderPrometheus(namespace: String) -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(namespace)_\(name) \(help)\n# TYPE \(namespace)_\(name) \(type)\n"
        }
        family("requests_total", "counter", "Completed requests by method and status class.")
        for method in HTTPServerMetrics.countedMethods {
            guard let byClass = requests[method] else { continue }
            for statusClass in byClass.keys.sorted() {
                text += "\(namespace)_requests_total{method=\"\(method)\",status=\"\(statusClass)\"} \(byClass[statusClass] ?? 0)\n"
            }
        }
        family("request_duration_seconds", "histogram", "Time from request head to the end of the response.")
        for (index, bound) in HTTPServerMetrics.latencyBucketBounds.enumerated() {
            text += "\(namespace)_request_duration_seconds_bucket{le=\"\(bound)\"} \(latencyBucketCounts[index])\n"
        }
        let total = latencyBucketCounts.last ?? 0
        text += "\(namespace)_request_duration_seconds_bucket{le=\"+Inf\"} \(total)\n"
        text += "\(namespace)_request_duration_seconds_sum \(latencySumSeconds)\n"
        text += "\(namespace)_request_duration_seconds_count \(total)\n"
        family("received_bytes_total", "counter", "Bytes read from clients.")
        text += "\(namespace)_received_bytes_total \(bytesReceived)\n"
        family("sent_bytes_total", "counter", "Bytes written to clients.")
        text += "\(namespace)_sent_bytes_total \(bytesSent)\n"
        family("open_connections", "gauge", "Connections open now.")
        text += "\(namespace)_open_connections \(connectionsOpen)\n"
        family("accepted_connections_total", "counter", "Connections accepted.")
        text += "\(namespace)_accepted_connections_total \(connectionsAccepted)\n"
        family("rejected_connections_total", "counter", "Connections closed at once for exceeding the connection limit.")
        text += "\(namespace)_rejected_connections_total \(connectionsRejected)\n"
        family("fast_lane_responses_total", "counter", "Responses answered from memory on the event loop, without a task.")
        text += "\(namespace)_fast_lane_responses_total \(fastLaneResponses)\n"
        return text
    }
}
