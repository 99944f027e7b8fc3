/// Answers requests. `HTTPRouter` is the usual implementation.
public protocol HTTPResponder: Sendable {
    /// Produces the response for `request`; runs as a task, never on an event loop thread.
    func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse

    /// Chooses what runs for `request` and with which body limit. Called on the event loop for
    /// every request head, so it must be cheap and must not block; it may fill in
    /// `pathParameters` and `routePattern`. The default runs `respond(to:)` as a task.
    func handler(for request: inout HTTPServerRequest) -> HTTPHandler

    /// The lean fast lane tried for plain GET/HEAD requests before they are parsed into a
    /// request (`HTTPFastLane`); nil (the default) for none. Read once when the server starts.
    var fastLane: (any HTTPFastLane)? { get }
}

extension HTTPResponder {
    /// Runs `respond(to:)` as a task with the default body limit.
    public func handler(for request: inout HTTPServerRequest) -> HTTPHandler {
        HTTPHandler(task: { try await self.respond(to: $0) })
    }

    /// No lean fast lane.
    public var fastLane: (any HTTPFastLane)? { nil }
}

/// What runs for one request.
public struct HTTPHandler: Sendable {
    /// Where the handler runs.
    public enum Execution: Sendable {
        /// As a Swift task; the response is handed back to the connection's event loop.
        case task(@Sendable (HTTPServerRequest) async throws -> HTTPServerResponse)
        /// Synchronously on the event loop thread, for cheap non-blocking answers (health
        /// checks, in-memory bodies). A request that has a body still runs it as a task, since
        /// reading a body must not block the loop.
        case inline(@Sendable (HTTPServerRequest) throws -> HTTPServerResponse)
        /// A fast lane: `attempt` runs synchronously on the event loop thread and answers when
        /// it can do so from memory, without blocking; when it returns nil, `otherwise` runs as
        /// a task, as `.task` would. For a route whose frequent case is cheap (a small cached
        /// file) and whose other cases need a database or a disk. A request with a body always
        /// runs `otherwise`.
        case attemptInline(
            _ attempt: @Sendable (HTTPServerRequest) -> HTTPServerResponse?,
            otherwise: @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse)
    }

    /// Where the handler runs.
    public var execution: Execution
    /// Largest request body accepted; nil for `HTTPLimits.maxRequestBodyBytes`.
    public var maxBodyBytes: Int64?

    /// A handler that runs as a task.
    public init(maxBodyBytes: Int64? = nil, task: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse) {
        self.execution = .task(task)
        self.maxBodyBytes = maxBodyBytes
    }

    /// A handler that runs on the event loop thread.
    public init(maxBodyBytes: Int64? = nil, inline: @escaping @Sendable (HTTPServerRequest) throws -> HTTPServerResponse) {
        self.execution = .inline(inline)
        self.maxBodyBytes = maxBodyBytes
    }

    /// A handler that first tries `attempt` on the event loop thread and runs `task` as a
    /// task when `attempt` returns nil (see `Execution.attemptInline`).
    public init(
        maxBodyBytes: Int64? = nil, attempt: @escaping @Sendable (HTTPServerRequest) -> HTTPServerResponse?,
        otherwise task: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
    ) {
        self.execution = .attemptInline(attempt, otherwise: task)
        self.maxBodyBytes = maxBodyBytes
    }
}
