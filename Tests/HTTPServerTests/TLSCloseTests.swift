import Glibc
import Testing

@testable import HTTPServer

/// How the end of a connection, orderly or not, shows up on the other side.
@Suite("TLS transport: closing")
struct TLSCloseTests {
    /// A client and a server with the handshake done and a message delivered each way, so that
    /// neither socket holds unread bytes (the server's session tickets come before its message).
    private static func connected(_ directory: TLSTemporaryDirectory) throws -> (client: TLSTransport, server: TLSTransport) {
        let identity = try TLSTestIdentity(in: directory)
        let (client, server) = try TLSTestSocketPair.transports(
            client: identity.trustingClientContext(), server: identity.serverContext())
        let clientEnd = TLSTestEnd(client, sending: Array("greeting".utf8))
        let serverEnd = TLSTestEnd(server, sending: Array("welcome".utf8))
        try TLSTestPump.exchange(clientEnd, serverEnd)
        try #require(serverEnd.received == Array("greeting".utf8))
        try #require(clientEnd.received == Array("welcome".utf8))
        return (client, server)
    }

    /// Reads from `transport` until it reports something other than `.wantRead`.
    private static func readOutcome(_ transport: TLSTransport) -> TransportResult {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var fds = [pollfd(fd: transport.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        for _ in 0..<100 {
            let outcome = buffer.withUnsafeMutableBytes { transport.read(into: $0) }
            guard outcome == .wantRead else { return outcome }
            _ = poll(&fds, 1, 10_000)
        }
        return .wantRead
    }

    @Test("close_notify from the peer reads as .closed")
    func closeNotify() throws {
        let directory = try TLSTemporaryDirectory()
        let (client, server) = try Self.connected(directory)
        client.shutdown()
        #expect(Self.readOutcome(server) == .closed)
        // The server answers with its own close_notify; the client reads it as .closed too.
        server.shutdown()
        #expect(Self.readOutcome(client) == .closed)
        client.close()
        server.close()
    }

    @Test("a peer that closes the socket without close_notify (end of stream) reads as .closed")
    func abruptClose() throws {
        let directory = try TLSTemporaryDirectory()
        let (client, server) = try Self.connected(directory)
        client.close()
        #expect(Self.readOutcome(server) == .closed)
        server.close()
    }

    @Test("a peer that closes with unread bytes (ECONNRESET on our read) reads as .closed")
    func connectionReset() throws {
        let directory = try TLSTemporaryDirectory()
        let (client, server) = try Self.connected(directory)
        let unread = [UInt8](repeating: 0x42, count: 1000)
        #expect(unread.withUnsafeBytes { server.write($0) } == .done(unread.count))
        // unix(7): closing a socket whose receive queue is not empty resets the connection.
        client.close()
        #expect(Self.readOutcome(server) == .closed)
        server.close()
    }

    @Test("writing to a peer that is gone gives .closed (EPIPE), and no SIGPIPE ends the process")
    func writeAfterPeerGone() throws {
        let directory = try TLSTemporaryDirectory()
        let (client, server) = try Self.connected(directory)
        client.close()
        let payload = [UInt8](repeating: 0x41, count: 4096)
        var outcome = TransportResult.done(0)
        for _ in 0..<4 {
            outcome = payload.withUnsafeBytes { server.write($0) }
            if case .done = outcome { continue }
            break
        }
        #expect(outcome == .closed)
        // After a socket error no close_notify is attempted; shutdown must be harmless.
        server.shutdown()
        server.close()
    }

    @Test("a client that disconnects before the handshake reads as .closed on the server")
    func closedBeforeHandshake() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let (client, server) = try TLSTestSocketPair.transports(
            client: identity.trustingClientContext(), server: identity.serverContext())
        client.close()
        #expect(server.handshake() == .closed)
        server.close()
    }

    @Test("shutdown before the handshake sends nothing and leaves the session usable")
    func shutdownBeforeHandshake() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let (client, server) = try TLSTestSocketPair.transports(
            client: identity.trustingClientContext(), server: identity.serverContext())
        server.shutdown()
        let clientEnd = TLSTestEnd(client, sending: Array("still works".utf8))
        let serverEnd = TLSTestEnd(server)
        try TLSTestPump.exchange(clientEnd, serverEnd)
        #expect(serverEnd.received == Array("still works".utf8))
    }
}
