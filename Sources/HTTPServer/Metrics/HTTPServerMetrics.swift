import HTTPTypes
import Synchronization

/// Counters of one server, updated lock-free (relaxed atomics) on the hot path and read as a
/// `Snapshot` by the app, e.g. to render with `renderPrometheus(namespace:)`.
public final class HTTPServerMetrics: Sendable {
    /// Methods counted on their own; every other method is counted as "other".
    public static let countedMethods = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "other"]
    /// Upper bounds of the latency histogram buckets, in seconds (the last bucket is +Inf).
    public static let latencyBucketBounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    private let requests: InlineArray<45, Atomic<Int>> = InlineArray { _ in Atomic(0) }
    private let latencyBuckets: InlineArray<15, Atomic<Int>> = InlineArray { _ in Atomic(0) }
    private let latencySumMicroseconds = Atomic<Int>(0)
    private let bytesReceived = Atomic<Int>(0)
    private let bytesSent = Atomic<Int>(0)
    private let connectionsOpen = Atomic<Int>(0)
    private let connectionsAccepted = Atomic<Int>(0)
    private let connectionsRejected = Atomic<Int>(0)
    private let fastLaneResponses = Atomic<Int>(0)
    /// Largest number of request-body bytes buffered for one handler (back-pressure check).
    let peakBufferedRequestBodyBytes = Atomic<Int>(0)
    /// How often a connection stopped reading because its handler was behind.
    let requestBodyReadPauses = Atomic<Int>(0)
    /// Request-body bytes read from the socket straight into a handler's fill buffer.
    let requestBodyBytesFilled = Atomic<Int>(0)

    init() {}

    /// A consistent-enough copy of every counter (each is read atomically on its own).
    public struct Snapshot: Sendable, Equatable {
        /// Completed requests by method (see `countedMethods`) and status class ("1xx"..."5xx").
        public var requests: [String: [String: Int]]
        /// Cumulative latency histogram: count of requests at or below each bound, then +Inf.
        public var latencyBucketCounts: [Int]
        /// Sum of all request latencies, in seconds.
        public var latencySumSeconds: Double
        /// Bytes read from clients.
        public var bytesReceived: Int
        /// Bytes written to clients.
        public var bytesSent: Int
        /// Connections open now.
        public var connectionsOpen: Int
        /// Connections accepted since start.
        public var connectionsAccepted: Int
        /// Connections closed at once for exceeding `maxConnections`.
        public var connectionsRejected: Int
        /// Responses a fast lane gave on the event loop (`HTTPHandler.Execution.attemptInline`).
        public var fastLaneResponses: Int
    }

    /// Reads every counter.
    public func snapshot() -> Snapshot {
        var byMethod: [String: [String: Int]] = [:]
        for (methodIndex, method) in Self.countedMethods.enumerated() {
            var byClass: [String: Int] = [:]
            for statusClass in 1...5 {
                let value = requests[methodIndex * 5 + statusClass - 1].load(ordering: .relaxed)
                if value > 0 { byClass["\(statusClass)xx"] = value }
            }
            if !byClass.isEmpty { byMethod[method] = byClass }
        }
        var cumulative = 0
        var buckets: [Int] = []
        for index in 0..<15 {
            cumulative += latencyBuckets[index].load(ordering: .relaxed)
            buckets.append(cumulative)
        }
        return Snapshot(
            requests: byMethod, latencyBucketCounts: buckets,
            latencySumSeconds: Double(latencySumMicroseconds.load(ordering: .relaxed)) / 1_000_000,
            bytesReceived: bytesReceived.load(ordering: .relaxed), bytesSent: bytesSent.load(ordering: .relaxed),
            connectionsOpen: connectionsOpen.load(ordering: .relaxed),
            connectionsAccepted: connectionsAccepted.load(ordering: .relaxed),
            connectionsRejected: connectionsRejected.load(ordering: .relaxed),
            fastLaneResponses: fastLaneResponses.load(ordering: .relaxed))
    }

    func recordRequest(method: HTTPRequest.Method, status: Int, nanoseconds: UInt64) {
        let methodIndex = Self.countedMethods.firstIndex(of: method.rawValue) ?? Self.countedMethods.count - 1
        let statusClass = min(max(status / 100, 1), 5)
        requests[methodIndex * 5 + statusClass - 1].wrappingAdd(1, ordering: .relaxed)
        let seconds = Double(nanoseconds) / 1e9
        let bucket = Self.latencyBucketBounds.firstIndex { seconds <= $0 } ?? Self.latencyBucketBounds.count
        latencyBuckets[bucket].wrappingAdd(1, ordering: .relaxed)
        latencySumMicroseconds.wrappingAdd(Int(nanoseconds / 1000), ordering: .relaxed)
    }

    func recordReceived(_ count: Int) { bytesReceived.wrappingAdd(count, ordering: .relaxed) }
    func recordSent(_ count: Int) { bytesSent.wrappingAdd(count, ordering: .relaxed) }

    /// Counts a newly accepted connection; returns false (and counts a rejection) when that
    /// would exceed `limit` open connections.
    func admitConnection(limit: Int) -> Bool {
        let open = connectionsOpen.wrappingAdd(1, ordering: .relaxed).newValue
        guard open <= limit else {
            connectionsOpen.wrappingSubtract(1, ordering: .relaxed)
            connectionsRejected.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        connectionsAccepted.wrappingAdd(1, ordering: .relaxed)
        return true
    }

    func recordFastLaneResponse() { fastLaneResponses.wrappingAdd(1, ordering: .relaxed) }

    func connectionClosed() { connectionsOpen.wrappingSubtract(1, ordering: .relaxed) }

    func recordBufferedRequestBody(_ bytes: Int) {
        var current = peakBufferedRequestBodyBytes.load(ordering: .relaxed)
        while bytes > current {
            let (exchanged, original) = peakBufferedRequestBodyBytes.compareExchange(
                expected: current, desired: bytes, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }
}
