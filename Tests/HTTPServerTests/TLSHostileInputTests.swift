import Glibc
import Testing

@testable import HTTPServer

/// Bytes a TLS server gets from clients that are not TLS clients, or are broken or malicious.
@Suite("TLS transport: hostile input")
struct TLSHostileInputTests {
    /// A server transport on one end of a socket pair; the test writes raw bytes to the other end.
    private struct RawClientServer {
        let server: TLSTransport
        let rawClient: Int32

        init(_ directory: TLSTemporaryDirectory) throws {
            let identity = try TLSTestIdentity(in: directory)
            let (clientFD, serverFD) = try TLSTestSocketPair.make()
            rawClient = clientFD
            server = try TLSTransport(acceptingOn: serverFD, context: identity.serverContext())
        }

        func sendRaw(_ bytes: [UInt8]) {
            #expect(bytes.withUnsafeBytes { send(rawClient, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count)
        }

        /// Drives the server's handshake until it stops needing to wait.
        func handshakeOutcome() throws -> TransportResult {
            var fds = [pollfd(fd: server.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            for _ in 0..<100 {
                let result = server.handshake()
                guard result == .wantRead else { return result }
                guard poll(&fds, 1, 10_000) == 1 else { return result }
            }
            throw TLSTestFailure(description: "handshake never finished")
        }

        /// Closes the server and reads the raw end until EOF: true once the server's socket is gone
        /// (end of stream, or ECONNRESET when the server closed with unread bytes, unix(7)).
        func closeServerAndSeeEOF() -> Bool {
            server.close()
            var buffer = [UInt8](repeating: 0, count: 4096)
            var fds = [pollfd(fd: rawClient, events: Int16(POLLIN), revents: 0)]
            for _ in 0..<100 {
                let count = buffer.withUnsafeMutableBytes { recv(rawClient, $0.baseAddress, $0.count, 0) }
                if count == 0 || (count < 0 && errno == ECONNRESET) { return true }
                if count < 0, errno != EAGAIN { return false }
                if count < 0, poll(&fds, 1, 10_000) != 1 { return false }
            }
            return false
        }
    }

    @Test("a plain HTTP request to the TLS port fails the handshake and the connection is closed")
    func plainHTTPRequest() throws {
        let directory = try TLSTemporaryDirectory()
        let pair = try RawClientServer(directory)
        defer { _ = Glibc.close(pair.rawClient) }
        pair.sendRaw(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        let outcome = try pair.handshakeOutcome()
        #expect(outcome.failureText?.contains("http request") == true, "\(outcome)")
        #expect(pair.closeServerAndSeeEOF())
        #expect(pair.server.fileDescriptor == -1)
    }

    @Test("random bytes instead of a ClientHello fail the handshake", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomBytes(seed: UInt64) throws {
        let directory = try TLSTemporaryDirectory()
        let pair = try RawClientServer(directory)
        defer { _ = Glibc.close(pair.rawClient) }
        pair.sendRaw(TLSTestBytes.make(count: 2048, seed: seed))
        let outcome = try pair.handshakeOutcome()
        #expect(outcome.failureText != nil, "\(outcome)")
        #expect(pair.closeServerAndSeeEOF())
    }

    @Test("a record header announcing more than the maximum record length is refused")
    func oversizedRecord() throws {
        let directory = try TLSTemporaryDirectory()
        let pair = try RawClientServer(directory)
        defer { _ = Glibc.close(pair.rawClient) }
        pair.sendRaw([0x16, 0x03, 0x01, 0xFF, 0xFF] + TLSTestBytes.make(count: 512, seed: 9))
        let outcome = try pair.handshakeOutcome()
        #expect(outcome.failureText?.contains("packet length too long") == true, "\(outcome)")
    }

    @Test("a handshake record with a malformed ClientHello is refused")
    func malformedClientHello() throws {
        let directory = try TLSTemporaryDirectory()
        let pair = try RawClientServer(directory)
        defer { _ = Glibc.close(pair.rawClient) }
        // Record: handshake, TLS 1.0, 8 bytes; message: ClientHello claiming 4 bytes of body.
        pair.sendRaw([0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0xDE, 0xAD, 0xBE, 0xEF])
        let outcome = try pair.handshakeOutcome()
        #expect(outcome.failureText != nil, "\(outcome)")
    }

    @Test("a client that sends half a ClientHello and goes away is reported closed, not failed")
    func truncatedClientHello() throws {
        let directory = try TLSTemporaryDirectory()
        let pair = try RawClientServer(directory)
        pair.sendRaw([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])
        _ = Glibc.close(pair.rawClient)
        #expect(try pair.handshakeOutcome() == .closed)
        pair.server.close()
    }

    @Test("bytes injected outside TLS after the handshake fail the session")
    func injectedRecordAfterHandshake() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let (client, server) = try TLSTestSocketPair.transports(
            client: identity.trustingClientContext(), server: identity.serverContext())
        let clientEnd = TLSTestEnd(client)
        let serverEnd = TLSTestEnd(server)
        try TLSTestPump.handshake(clientEnd, serverEnd)
        try #require(clientEnd.handshakeDone && serverEnd.handshakeDone)

        // An application-data record whose content was not produced with the session keys.
        let forged: [UInt8] = [0x17, 0x03, 0x03, 0x00, 0x40] + TLSTestBytes.make(count: 64, seed: 10)
        #expect(forged.withUnsafeBytes { send(client.fileDescriptor, $0.baseAddress, $0.count, 0) } == forged.count)
        var buffer = [UInt8](repeating: 0, count: 1024)
        var outcome = TransportResult.wantRead
        var fds = [pollfd(fd: server.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        for _ in 0..<100 where outcome == .wantRead {
            outcome = buffer.withUnsafeMutableBytes { server.read(into: $0) }
            if outcome == .wantRead { _ = poll(&fds, 1, 10_000) }
        }
        #expect(outcome.failureText?.contains("bad record mac") == true, "\(outcome)")
        // After a fatal error no close_notify may be sent (SSL_shutdown(3)); this must not crash.
        server.shutdown()
        server.close()
        client.close()
    }
}
