import Glibc
import Testing

@testable import HTTPServer

@Suite("TLS transport: handshake and data")
struct TLSTransportTests {
    @Test("explicit handshake negotiates TLS 1.3 and ALPN http/1.1, client sees the server's certificate")
    func explicitHandshake() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let (client, server) = try TLSTestSocketPair.transports(
            client: identity.trustingClientContext(), server: identity.serverContext())
        let clientEnd = TLSTestEnd(client)
        let serverEnd = TLSTestEnd(server)
        try TLSTestPump.handshake(clientEnd, serverEnd)

        #expect(clientEnd.ending == nil && serverEnd.ending == nil)
        #expect(clientEnd.handshakeDone && serverEnd.handshakeDone)
        #expect(client.handshake() == .done(0))
        #expect(client.protocolVersion == "TLSv1.3")
        #expect(server.protocolVersion == "TLSv1.3")
        #expect(client.negotiatedApplicationProtocol == "http/1.1")
        #expect(server.negotiatedApplicationProtocol == "http/1.1")
        #expect(client.peerCertificateSHA256 == identity.generated.fingerprintSHA256)
        #expect(server.peerCertificateSHA256 == nil)
        #expect(client.isEncrypted && server.isEncrypted)
        client.close()
        server.close()
    }

    @Test("bytes flow both ways with the handshake done implicitly by read and write")
    func bidirectionalData() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let (client, server) = try TLSTestSocketPair.transports(
            client: identity.trustingClientContext(), server: identity.serverContext())
        let request = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        let clientEnd = TLSTestEnd(client, sending: request)
        let serverEnd = TLSTestEnd(server, sending: response)
        try TLSTestPump.exchange(clientEnd, serverEnd)

        #expect(serverEnd.received == request)
        #expect(clientEnd.received == response)
        #expect(clientEnd.ending == nil && serverEnd.ending == nil)
    }

    @Test("several MiB each way at once arrive intact through partial writes from moving buffers")
    func largeTransfer() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let (client, server) = try TLSTestSocketPair.transports(
            client: identity.trustingClientContext(), server: identity.serverContext())
        let upload = TLSTestBytes.make(count: 5 << 20, seed: 0xC0FFEE)
        let download = TLSTestBytes.make(count: 3 << 20 + 12_345, seed: 0xF11E)
        let clientEnd = TLSTestEnd(client, sending: upload)
        let serverEnd = TLSTestEnd(server, sending: download)
        try TLSTestPump.exchange(clientEnd, serverEnd)

        #expect(clientEnd.ending == nil && serverEnd.ending == nil)
        #expect(serverEnd.received.count == upload.count)
        #expect(clientEnd.received.count == download.count)
        // Compared through the first differing offset: a failure then prints one number, not MiBs.
        #expect(TLSTestBytes.firstDifference(serverEnd.received, upload) == nil)
        #expect(TLSTestBytes.firstDifference(clientEnd.received, download) == nil)
        // A 1 MiB write cannot fit a socket buffer: OpenSSL must have reported partial writes.
        #expect(clientEnd.partialWrites > 0)
        #expect(serverEnd.partialWrites > 0)
    }

    @Test("an empty write sends nothing, an empty read buffer is refused")
    func emptyBuffers() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let (client, server) = try TLSTestSocketPair.transports(
            client: identity.trustingClientContext(), server: identity.serverContext())
        #expect(client.write(UnsafeRawBufferPointer(start: nil, count: 0)) == .done(0))
        #expect(server.read(into: UnsafeMutableRawBufferPointer(start: nil, count: 0)).failureText != nil)
    }

    @Test("the server factory and the provider's factory make working server transports")
    func factories() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let provider = try TLSContextProvider(
            certificateChainFile: identity.certificateFile, privateKeyFile: identity.keyFile)
        for factory in [TLSTransport.serverFactory(context: try identity.serverContext()), provider.transportFactory] {
            let (clientFD, serverFD) = try TLSTestSocketPair.make()
            let client = try TLSTransport(
                connectingOn: clientFD, context: identity.trustingClientContext(), serverName: "localhost")
            let server = try #require(try factory(serverFD) as? TLSTransport)
            let clientEnd = TLSTestEnd(client, sending: Array("hello".utf8))
            let serverEnd = TLSTestEnd(server)
            try TLSTestPump.exchange(clientEnd, serverEnd)
            #expect(serverEnd.received == Array("hello".utf8))
        }
    }

    @Test("a transport refuses a context of the other role and a bad server name, leaving the fd open")
    func wrongRoleAndBadName() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let (first, second) = try TLSTestSocketPair.make()
        defer {
            _ = Glibc.close(first)
            _ = Glibc.close(second)
        }
        #expect(throws: TLSError.self) {
            try TLSTransport(acceptingOn: first, context: identity.trustingClientContext())
        }
        #expect(throws: TLSError.self) {
            try TLSTransport(connectingOn: first, context: identity.serverContext(), serverName: "localhost")
        }
        let client = try identity.trustingClientContext()
        for name in ["", "bad\0name", String(repeating: "a", count: 254)] {
            #expect(throws: TLSError.self) { try TLSTransport(connectingOn: first, context: client, serverName: name) }
        }
        #expect(throws: TLSError.self) { try TLSTransport(acceptingOn: -1, context: identity.serverContext()) }
        // The descriptor still belongs to the caller after a throw.
        #expect(fcntl(first, F_GETFD) != -1)
    }

    @Test("close is idempotent and calls after close fail without touching the old descriptor")
    func closeIsIdempotent() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let (client, server) = try TLSTestSocketPair.transports(
            client: identity.trustingClientContext(), server: identity.serverContext())
        client.close()
        client.close()
        #expect(client.fileDescriptor == -1)
        var byte: UInt8 = 0
        #expect(withUnsafeMutableBytes(of: &byte) { client.read(into: $0) }.failureText != nil)
        #expect(withUnsafeBytes(of: &byte) { client.write($0) }.failureText != nil)
        #expect(client.handshake().failureText != nil)
        client.shutdown()
        server.close()
    }
}
