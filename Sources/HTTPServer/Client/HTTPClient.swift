import HTTPTypes
import Synchronization

/// An HTTP/1.1 client (RFC 9110/9112) on the same raw sockets and TLS as the server: a bounded
/// keep-alive pool per host, streamed bodies both ways with back-pressure, 100-continue,
/// per-request timeouts, TLS with pinning or a CA file.
///
/// ```swift
/// let client = try HTTPClient(configuration: .init(tlsTrust: .pinnedCertificate(sha256: pin)))
/// let response = try await client.execute(HTTPClientRequest(method: .get, url: "https://coffre.lan/v1/info"))
/// let json = try await response.body.collect(upTo: 1 << 20)
/// await client.shutdown()
/// ```
///
/// Sockets are non-blocking; a request's I/O runs in its own task, which suspends on the
/// client's readiness thread only while its socket would block, so neither Swift's cooperative
/// pool nor a server event loop ever blocks on the network.
public final class HTTPClient: Sendable {
    private let configuration: HTTPClientConfiguration
    private let loop: HTTPClientEventLoop
    let pool: HTTPClientConnectionPool
    private let connector: HTTPClientConnector
    /// Client TLS contexts built so far, one per trust (building one may read a CA file).
    private let tlsContexts = Mutex<[(trust: TLSClientTrust, context: TLSContext)]>([])
    private let isShutDown = Atomic<Bool>(false)

    /// Starts the client's readiness thread; connections are opened on demand. Throws
    /// `.system` when the thread or its descriptors cannot be created.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws(HTTPClientError) {
        self.configuration = configuration
        self.loop = try HTTPClientEventLoop(name: "http-client")
        self.pool = HTTPClientConnectionPool(
            maxConnectionsPerHost: configuration.maxConnectionsPerHost,
            maxIdleConnections: configuration.maxIdleConnections, idleTimeout: configuration.idleConnectionTimeout)
        self.connector = HTTPClientConnector(
            loop: loop, connectTimeout: SystemCall.nanoseconds(configuration.connectTimeout),
            loopbackCongestionControl: configuration.loopbackCongestionControl)
    }

    deinit { shutdown() }

    /// Sends `request` and returns the final response once its head arrived; the body is read
    /// from `response.body`.
    ///
    /// A request that fails on a reused keep-alive connection before any response byte arrived
    /// is sent once more on a fresh connection when it is idempotent and its body is not a
    /// stream (RFC 9112 §9.3.1). A 417 answer to `Expect: 100-continue` is retried without the
    /// expectation (RFC 9110 §10.1.1).
    ///
    /// - Throws: `HTTPClientError`, or what the request's stream producer threw.
    public func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        guard !isShutDown.load(ordering: .acquiring) else { throw HTTPClientError.shutDown }
        if Task.isCancelled { throw HTTPClientError.cancelled }
        let prepared = try HTTPClientPreparedRequest(request, configuration: configuration)
        let tlsContext = try prepared.key.trust.map { (trust) throws(HTTPClientError) in try context(for: trust) }
        var expectContinue = prepared.headExpectingContinue != nil
        var retried = false
        while true {
            let connection = try await lease(prepared.key, fresh: retried, tlsContext: tlsContext)
            connection.requestCount += 1
            let exchange = HTTPClientExchange(request: prepared, connection: connection, configuration: configuration)
            let outcome: HTTPClientExchange.Outcome
            do {
                outcome = try await exchange.run(expectContinue: expectContinue)
            } catch {
                pool.release(connection, reusable: false)
                // RFC 9112 §9.3.1: a connection closed before any response byte may be retried
                // when the request is idempotent (and its body can be replayed); only for a
                // reused connection, whose closing the client could not see coming.
                if let failure = error as? HTTPClientError, failure == .connectionClosed, !exchange.responseStarted,
                    connection.requestCount > 1, prepared.isRetryable, !retried
                {
                    retried = true
                    continue
                }
                if error is CancellationError { throw HTTPClientError.cancelled }
                throw error
            }
            // RFC 9110 §10.1.1: a client that receives 417 to a 100-continue request SHOULD
            // repeat it without the expectation. The body has not been produced yet.
            if outcome.head.statusCode == 417, expectContinue, !exchange.bodyStarted {
                pool.release(connection, reusable: false)
                expectContinue = false
                continue
            }
            return response(for: outcome, on: connection, request: prepared)
        }
    }

    /// Closes idle connections and stops the readiness thread; requests in flight fail with
    /// `.shutDown`, later ones at once. Idempotent.
    public func shutdown() {
        guard !isShutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pool.shutdown()
        loop.stop()
    }

    /// A connection to `key`: an idle one unless `fresh`, else a new one.
    private func lease(_ key: HTTPClientPoolKey, fresh: Bool, tlsContext: TLSContext?) async throws(HTTPClientError) -> HTTPClientConnection {
        switch try await pool.acquire(key, fresh: fresh) {
        case .reused(let connection):
            return connection
        case .newConnection:
            do throws(HTTPClientError) {
                return try await connector.open(key, tlsContext: tlsContext)
            } catch {
                pool.connectFailed(key)
                throw error
            }
        }
    }

    /// The response for a final head; the body reader takes the connection over.
    private func response(
        for outcome: HTTPClientExchange.Outcome, on connection: HTTPClientConnection, request: HTTPClientPreparedRequest
    ) -> HTTPClientResponse {
        let head = outcome.head
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        for line in head.headers {
            // Names are tokens (checked by the parser), so this never drops a field.
            guard let name = HTTPField.Name(line.name) else { continue }
            fields.append(HTTPField(name: name, value: line.value))
        }
        let framing = head.bodyFraming(requestWasHEAD: request.isHEAD)
        // RFC 9110 §10.1.1, RFC 9112 §9.6: after a final answer to an unfinished body the server
        // may still expect those bytes: the connection is not reused.
        let reusable = head.allowsReuse(requestWasHEAD: request.isHEAD) && outcome.requestComplete && !request.closesConnection
        let reader = HTTPClientBodyReader(
            connection: connection, pool: pool, framing: framing, reusable: reusable, readIdleTimeout: request.readIdleTimeout)
        let expectedLength: Int64? =
            switch framing {
            case .none: 0
            case .contentLength(let length): length
            case .chunked, .untilClose: nil
            }
        return HTTPClientResponse(
            status: HTTPResponse.Status(code: head.statusCode, reasonPhrase: head.reasonPhrase), headerFields: fields,
            body: HTTPClientResponseBody(reader: reader, expectedLength: expectedLength),
            peerCertificateSHA256: connection.peerCertificateSHA256)
    }

    /// The client TLS context for `trust`, built once.
    private func context(for trust: TLSClientTrust) throws(HTTPClientError) -> TLSContext {
        if let known = tlsContexts.withLock({ $0.first { $0.trust == trust }?.context }) { return known }
        let context: TLSContext
        do {
            context = try TLSContext.client(trust: trust)
        } catch {
            throw .tls(reason: error.description)
        }
        return tlsContexts.withLock { contexts in
            if let known = contexts.first(where: { $0.trust == trust }) { return known.context }
            contexts.append((trust, context))
            return context
        }
    }
}
