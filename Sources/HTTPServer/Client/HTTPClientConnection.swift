import Glibc
import Synchronization

/// One client connection: its transport (plain TCP or TLS, which owns the socket), the bytes
/// read but not consumed yet, and non-blocking I/O that suspends on the client's event loop
/// only when the socket would block.
///
/// `@unchecked Sendable`: a connection has exactly one owner at a time: the pool while idle,
/// then the one request that checked it out, then that request's response body. Ownership
/// passes through the pool's Mutex or along one task's awaits, so no two threads ever touch it
/// at once; only `bytesReceived` is read by others (atomic).
final class HTTPClientConnection: @unchecked Sendable {
    /// What a read that may wait produced.
    enum ReadOutcome {
        case bytes(Int)
        case endOfStream
        case timedOut
    }

    /// What a write that watches for an early response did.
    enum WriteOutcome {
        case written
        /// The server sent something while the socket was full: read it before writing on.
        case responsePending
    }

    /// Size of the buffer for heads, chunked framing and small reads.
    static let bufferSize = 64 * 1024

    let key: HTTPClientPoolKey
    let loop: HTTPClientEventLoop
    private let transport: any ConnectionTransport
    /// SHA-256 of the server's certificate (TLS only).
    let peerCertificateSHA256: [UInt8]?
    /// Bytes read from the transport and not consumed yet: `buffer[start..<end]`.
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// Requests this connection has started (more than one: it was reused).
    var requestCount = 0
    /// When the pool last received it back (monotonic nanoseconds).
    var idleSince: UInt64 = 0
    private(set) var isClosed = false
    /// Every byte read from the transport: lets tests check that reading follows demand.
    let bytesReceived = Atomic<Int>(0)

    init(key: HTTPClientPoolKey, loop: HTTPClientEventLoop, transport: any ConnectionTransport, peerCertificateSHA256: [UInt8]?) {
        self.key = key
        self.loop = loop
        self.transport = transport
        self.peerCertificateSHA256 = peerCertificateSHA256
        self.buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit {
        close()
        buffer.deallocate()
    }

    /// The unconsumed bytes; valid until the next read or `consume`.
    var pending: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[start..<end]) }
    var pendingCount: Int { end - start }

    /// Marks `count` pending bytes as used.
    func consume(_ count: Int) {
        start += count
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Reads more bytes into the buffer, waiting until `deadline` for the first one.
    func fill(deadline: UInt64?) async throws(HTTPClientError) -> ReadOutcome {
        if start == end {
            start = 0
            end = 0
        } else if end == buffer.count {
            // Move the unconsumed tail to the front (only a head or chunk line in progress).
            let count = end - start
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: count)
            start = 0
            end = count
        }
        // Every parser consumes what it is given, so a full buffer means a broken invariant,
        // never a reason to read zero bytes (which would look like the end of the stream).
        guard end < buffer.count else { throw .malformedResponse(reason: "response buffer full") }
        let outcome = try await read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]), deadline: deadline)
        if case .bytes(let count) = outcome { end += count }
        return outcome
    }

    /// Reads at least one byte into `target` (through TLS, as many records as are there),
    /// waiting until `deadline` when nothing is available.
    func read(into target: UnsafeMutableRawBufferPointer, deadline: UInt64?) async throws(HTTPClientError) -> ReadOutcome {
        while true {
            switch try readAvailable(into: target) {
            case .bytes(let count): return .bytes(count)
            case .endOfStream: return .endOfStream
            case .wouldBlock(let events):
                if try await waitUntilReady(events, deadline: deadline) { return .timedOut }
            }
        }
    }

    /// What a read that does not wait produced.
    enum AvailableRead {
        case bytes(Int)
        case endOfStream
        /// Nothing now: wait for these events, then call again.
        case wouldBlock(EpollInstance.Events)
    }

    /// Reads what is there into `target` without waiting (through TLS, record after record
    /// until `target` is full or nothing more is decrypted).
    func readAvailable(into target: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> AvailableRead {
        var total = 0
        while true {
            if isClosed { throw .connectionClosed }
            switch transport.read(into: UnsafeMutableRawBufferPointer(rebasing: target[total...])) {
            case .done(let count):
                total += count
                bytesReceived.add(count, ordering: .relaxed)
                // TLS hands out one record per call; keep going while records are buffered.
                if transport.isEncrypted && total < target.count { continue }
                return .bytes(total)
            case .wantRead:
                return total > 0 ? .bytes(total) : .wouldBlock(.readable)
            case .wantWrite:
                return total > 0 ? .bytes(total) : .wouldBlock(.writable)
            case .closed:
                return total > 0 ? .bytes(total) : .endOfStream
            case .failed(let text):
                throw failure(text, call: "recv")
            }
        }
    }

    /// Waits until the transport is ready for `events`; true when `deadline` passed first.
    func waitUntilReady(_ events: EpollInstance.Events, deadline: UInt64?) async throws(HTTPClientError) -> Bool {
        switch await loop.wait(for: events, on: transport.fileDescriptor, deadline: deadline) {
        case .ready: return false
        case .timedOut: return true
        case .cancelled: throw .cancelled
        case .shutDown: throw .shutDown
        }
    }

    /// Reads whatever is available now into the buffer without waiting; false at end of stream.
    func fillWithoutWaiting() throws(HTTPClientError) -> Bool {
        if start == end {
            start = 0
            end = 0
        }
        guard end < buffer.count else { return true }
        switch try readAvailable(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...])) {
        case .bytes(let count):
            end += count
            return true
        case .wouldBlock:
            return true
        case .endOfStream:
            return false
        }
    }

    /// Writes all of `bytes`. With `watchingForResponse`, a wait for the socket also wakes when
    /// the server sends something, and `.responsePending` returns with `offset` showing how far
    /// the write got (RFC 9112 §9.5: a client sending content monitors for an error response).
    func write(
        _ bytes: [UInt8], from offset: inout Int, watchingForResponse: Bool, timeout: UInt64
    ) async throws(HTTPClientError) -> WriteOutcome {
        while offset < bytes.count {
            if isClosed { throw .connectionClosed }
            let result = bytes.withUnsafeBytes { transport.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch result {
            case .done(let count):
                offset += count
            case .wantWrite:
                let events: EpollInstance.Events = watchingForResponse ? [.writable, .readable] : .writable
                let ready = try await waitForProgress(events, timeout: timeout)
                if watchingForResponse && ready.contains(.readable) { return .responsePending }
            case .wantRead:
                _ = try await waitForProgress(.readable, timeout: timeout)
            case .closed:
                throw .connectionClosed
            case .failed(let text):
                throw failure(text, call: "send")
            }
        }
        return .written
    }

    /// True when an idle connection is still usable: the server has neither closed it nor
    /// sent anything unsolicited (a 408, a TLS close_notify, stray bytes) (recv(2) MSG_PEEK).
    func isUsableWhileIdle() -> Bool {
        guard !isClosed, start == end else { return false }
        var byte: UInt8 = 0
        let result = SystemCall.retryingOnInterrupt {
            recv(transport.fileDescriptor, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        }
        return result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    /// Closes the transport (after a TLS close_notify when `graceful`). Idempotent.
    func close(graceful: Bool = false) {
        guard !isClosed else { return }
        isClosed = true
        if graceful { transport.shutdown() }
        transport.close()
    }

    /// Waits for write progress; throws `.writeTimeout` after `timeout` nanoseconds.
    private func waitForProgress(_ events: EpollInstance.Events, timeout: UInt64) async throws(HTTPClientError) -> EpollInstance.Events {
        let deadline = SystemCall.monotonicNanoseconds() + timeout
        switch await loop.wait(for: events, on: transport.fileDescriptor, deadline: deadline) {
        case .ready(let ready): return ready
        case .timedOut: throw .writeTimeout
        case .cancelled: throw .cancelled
        case .shutDown: throw .shutDown
        }
    }

    private func failure(_ text: String, call: String) -> HTTPClientError {
        transport.isEncrypted ? .tls(reason: text) : .system(call: call, code: 0, message: text)
    }
}
