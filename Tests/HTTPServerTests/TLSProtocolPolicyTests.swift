import COpenSSL
import Testing

@testable import HTTPServer

/// What the server accepts: TLS 1.2+, ECDHE with AEAD ciphers in TLS 1.2, ALPN http/1.1.
@Suite("TLS protocol policy")
struct TLSProtocolPolicyTests {
    /// Runs a handshake of `client` against a server for a fresh certificate and returns both ends.
    private static func handshake(
        client: TLSContext, in directory: TLSTemporaryDirectory
    ) throws -> (client: TLSTestEnd, server: TLSTestEnd) {
        let identity = try TLSTestIdentity(in: directory)
        let (clientTransport, serverTransport) = try TLSTestSocketPair.transports(
            client: client, server: identity.serverContext())
        let ends = (client: TLSTestEnd(clientTransport), server: TLSTestEnd(serverTransport))
        try TLSTestPump.run(ends.client, ends.server, explicitHandshake: true) { a, b in
            (a.handshakeDone && b.handshakeDone) || (a.ending != nil && b.ending != nil)
        }
        return ends
    }

    /// A client context without verification whose SSL_CTX the test then bends.
    private static func rawClient() throws -> TLSContext {
        try TLSContext(role: .client, peerVerification: .disabled)
    }

    @Test("a TLS 1.1 client is refused by the server")
    func tls11Refused() throws {
        let directory = try TLSTemporaryDirectory()
        let client = try Self.rawClient()
        // Let the client really offer TLS 1.0-1.1 (OpenSSL 3 needs security level 0 for that).
        SSL_CTX_set_security_level(client.handle, 0)
        try #require(SSL_CTX_set_cipher_list(client.handle, "DEFAULT:@SECLEVEL=0") == 1)
        try #require(coffre_ssl_ctx_set_min_proto_version(client.handle, TLS1_VERSION) == 1)
        try #require(SSL_CTX_ctrl(client.handle, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(TLS1_1_VERSION), nil) == 1)
        let ends = try Self.handshake(client: client, in: directory)
        #expect(ends.server.ending?.failureText?.contains("unsupported protocol") == true, "\(String(describing: ends.server.ending))")
        #expect(ends.client.ending?.failureText != nil)
        #expect(!ends.client.handshakeDone)
    }

    @Test("a TLS 1.2 client gets an ECDHE suite with AES-GCM or ChaCha20-Poly1305")
    func tls12ModernCipher() throws {
        let directory = try TLSTemporaryDirectory()
        let client = try Self.rawClient()
        try #require(SSL_CTX_ctrl(client.handle, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1)
        let ends = try Self.handshake(client: client, in: directory)
        try #require(ends.client.handshakeDone && ends.server.handshakeDone)
        #expect(ends.server.transport.protocolVersion == "TLSv1.2")
        let suite = try #require(ends.server.transport.cipherSuite)
        #expect(TLSContext.tls12CipherList.split(separator: ":").contains(Substring(suite)), "\(suite)")
        #expect(suite.hasPrefix("ECDHE-") && (suite.contains("GCM") || suite.contains("CHACHA20")))
    }

    @Test("a TLS 1.2 client offering only CBC suites finds no shared cipher")
    func tls12CBCRefused() throws {
        let directory = try TLSTemporaryDirectory()
        let client = try Self.rawClient()
        try #require(SSL_CTX_ctrl(client.handle, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1)
        try #require(SSL_CTX_set_cipher_list(client.handle, "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA") == 1)
        let ends = try Self.handshake(client: client, in: directory)
        #expect(ends.server.ending?.failureText?.contains("no shared cipher") == true, "\(String(describing: ends.server.ending))")
    }

    @Test("a TLS 1.2 client asking to renegotiate is refused")
    func renegotiationRefused() throws {
        let directory = try TLSTemporaryDirectory()
        let client = try Self.rawClient()
        try #require(SSL_CTX_ctrl(client.handle, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1)
        let ends = try Self.handshake(client: client, in: directory)
        try #require(ends.client.handshakeDone && ends.server.handshakeDone)
        let session = try #require(ends.client.transport.session)
        // Our contexts refuse renegotiation on both sides: lift that on this client only.
        SSL_clear_options(session, coffre_ssl_op_no_renegotiation())
        try #require(SSL_renegotiate(session) == 1)
        // The client's next read sends the new ClientHello; the server must not go along.
        let after = (client: TLSTestEnd(ends.client.transport), server: TLSTestEnd(ends.server.transport, sending: [1]))
        try TLSTestPump.run(after.client, after.server) { a, _ in a.ending != nil || !a.received.isEmpty }
        #expect(
            after.client.ending?.failureText?.contains("no renegotiation") == true,
            "\(String(describing: after.client.ending))")
    }

    @Test("a TLS 1.2 server asking our client to renegotiate is refused")
    func serverRenegotiationRefused() throws {
        let directory = try TLSTemporaryDirectory()
        let client = try TLSContext.client(trust: .insecureNoVerification)
        try #require(SSL_CTX_ctrl(client.handle, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1)
        let ends = try Self.handshake(client: client, in: directory)
        try #require(ends.client.handshakeDone && ends.server.handshakeDone)
        let session = try #require(ends.server.transport.session)
        SSL_clear_options(session, coffre_ssl_op_no_renegotiation())
        try #require(SSL_renegotiate(session) == 1)
        let after = (client: TLSTestEnd(ends.client.transport, sending: [1]), server: TLSTestEnd(ends.server.transport, sending: [2]))
        try TLSTestPump.run(after.client, after.server) { a, b in
            a.ending != nil || b.ending != nil || (b.transport.session.map { SSL_renegotiate_pending($0) } == 0)
        }
        // The client answered the HelloRequest with a no_renegotiation alert.
        #expect(
            after.server.ending?.failureText?.contains("no renegotiation") == true,
            "\(String(describing: after.server.ending))")
    }

    @Test("a client offering only h2 gets the no_application_protocol alert (RFC 7301 §3.2)")
    func alpnWithoutHTTP11() throws {
        let directory = try TLSTemporaryDirectory()
        let client = try TLSContext.client(trust: .insecureNoVerification)
        let h2: [UInt8] = [2] + Array("h2".utf8)
        try #require(SSL_CTX_set_alpn_protos(client.handle, h2, UInt32(h2.count)) == 0)
        let ends = try Self.handshake(client: client, in: directory)
        #expect(ends.client.ending?.failureText?.contains("no application protocol") == true, "\(String(describing: ends.client.ending))")
        #expect(ends.server.ending?.failureText != nil)
    }

    @Test("a client without ALPN still gets HTTP/1.1, with no protocol negotiated")
    func noALPN() throws {
        let directory = try TLSTemporaryDirectory()
        let client = try Self.rawClient()
        let ends = try Self.handshake(client: client, in: directory)
        try #require(ends.client.handshakeDone && ends.server.handshakeDone)
        #expect(ends.server.transport.negotiatedApplicationProtocol == nil)
    }

    @Test("the ALPN list parser finds http/1.1 anywhere and rejects malformed lists")
    func alpnListParsing() {
        func find(_ bytes: [UInt8]) -> Range<Int>? {
            bytes.withUnsafeBufferPointer { TLSContext.rangeOfHTTP11(inALPNList: $0) }
        }
        let http11 = [UInt8(8)] + Array("http/1.1".utf8)
        let h2 = [UInt8(2)] + Array("h2".utf8)
        #expect(find(http11) == 1..<9)
        #expect(find(h2 + http11) == 4..<12)
        #expect(find(h2) == nil)
        #expect(find([]) == nil)
        #expect(find([9] + Array("http/1.1".utf8)) == nil)  // length runs past the end
        #expect(find([0] + http11) == nil)  // empty protocol name
        #expect(find([8] + Array("http/1.0".utf8)) == nil)
        #expect(find([7] + Array("http/1.".utf8)) == nil)
    }
}
