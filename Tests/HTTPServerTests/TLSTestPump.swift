import Glibc
import Testing

@testable import HTTPServer

/// One end of a test connection: a transport, the bytes it still has to send, what it received,
/// and how it ended.
final class TLSTestEnd {
    let transport: TLSTransport
    let outgoing: [UInt8]
    private(set) var sentCount = 0
    private(set) var received: [UInt8] = []
    /// Writes that sent fewer bytes than offered.
    private(set) var partialWrites = 0
    /// `.closed` or `.failed` once the transport reported one.
    private(set) var ending: TransportResult?
    /// True once `handshake()` returned `.done`.
    private(set) var handshakeDone = false
    /// poll(2) events this end waits for after its last step.
    fileprivate private(set) var pollEvents: Int16 = 0

    /// Most bytes offered to one `write`. Each call passes a fresh copy (a moved buffer), which
    /// only works with SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER.
    static let writeWindow = 1 << 20

    init(_ transport: TLSTransport, sending outgoing: [UInt8] = []) {
        self.transport = transport
        self.outgoing = outgoing
    }

    var finishedSending: Bool { sentCount == outgoing.count }

    /// Runs `handshake()` first if asked, then writes and reads as far as the socket allows.
    /// Returns true if anything moved.
    fileprivate func step(explicitHandshake: Bool) -> Bool {
        guard ending == nil else { return false }
        pollEvents = 0
        var progressed = false
        if explicitHandshake, !handshakeDone {
            guard note(transport.handshake()) else { return false }
            handshakeDone = true
            progressed = true
        }
        while !finishedSending {
            let window = Array(outgoing[sentCount..<min(outgoing.count, sentCount + Self.writeWindow)])
            let result = window.withUnsafeBytes { transport.write($0) }
            guard note(result), case .done(let count) = result else { break }
            if count < window.count { partialWrites += 1 }
            sentCount += count
            progressed = true
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while ending == nil {
            let result = buffer.withUnsafeMutableBytes { transport.read(into: $0) }
            guard note(result), case .done(let count) = result else { break }
            received += buffer.prefix(count)
            progressed = true
        }
        return progressed
    }

    /// Records a result; false unless it was `.done`.
    private func note(_ result: TransportResult) -> Bool {
        switch result {
        case .done: return true
        case .wantRead: pollEvents |= Int16(POLLIN)
        case .wantWrite: pollEvents |= Int16(POLLOUT)
        case .closed, .failed: ending = result
        }
        return false
    }
}

/// Drives two ends of a connection with a small poll(2) loop, as an event loop would.
enum TLSTestPump {
    /// Steps both ends until `done` holds or neither end can go on; an end that reports `.closed`
    /// or `.failed` is closed. poll's timeout is only a
    /// guard against a hang (the test then fails with "stalled"), not a timing assertion.
    static func run(
        _ first: TLSTestEnd, _ second: TLSTestEnd, explicitHandshake: Bool = false,
        until done: (TLSTestEnd, TLSTestEnd) -> Bool
    ) throws {
        for _ in 0..<100_000 {
            if done(first, second) { return }
            let progressed = [first.step(explicitHandshake: explicitHandshake), second.step(explicitHandshake: explicitHandshake)]
            // As the event loop does: a connection that ended is closed, so its peer sees EOF.
            for end in [first, second] where end.ending != nil { end.transport.close() }
            if done(first, second) { return }
            if progressed.contains(true) { continue }
            if first.ending != nil, second.ending != nil { return }
            var fds = [first, second].filter { $0.ending == nil && $0.pollEvents != 0 }.map {
                pollfd(fd: $0.transport.fileDescriptor, events: $0.pollEvents, revents: 0)
            }
            if fds.isEmpty { return }
            let ready = poll(&fds, nfds_t(fds.count), 10_000)
            if ready == 0 { throw TLSTestFailure(description: "stalled: no socket became ready") }
            if ready < 0, errno != EINTR { throw TLSTestFailure(description: "poll failed") }
        }
        throw TLSTestFailure(description: "too many rounds")
    }

    /// Runs until both ends have received everything the other sends (or one of them ends).
    static func exchange(_ first: TLSTestEnd, _ second: TLSTestEnd) throws {
        try run(first, second) { a, b in
            (a.received.count == b.outgoing.count && b.received.count == a.outgoing.count)
                || a.ending != nil || b.ending != nil
        }
    }

    /// Runs the handshake through `handshake()` on both ends until both are done or one ends.
    static func handshake(_ first: TLSTestEnd, _ second: TLSTestEnd) throws {
        try run(first, second, explicitHandshake: true) { a, b in
            (a.handshakeDone && b.handshakeDone) || a.ending != nil || b.ending != nil
        }
    }
}
