import Foundation
import Testing

@testable import HTTPServer

/// Certificate reload (SIGHUP in coffred): new connections get the new certificate, existing
/// ones keep theirs, and a bad new certificate changes nothing.
@Suite("TLS certificate reload")
struct TLSReloadTests {
    /// Connects a new client through the provider's factory and returns the certificate
    /// fingerprint the client saw, with the live ends.
    private static func connect(through provider: TLSContextProvider) throws -> (fingerprint: [UInt8]?, client: TLSTestEnd, server: TLSTestEnd) {
        let (clientFD, serverFD) = try TLSTestSocketPair.make()
        let client = try TLSTransport(
            connectingOn: clientFD, context: TLSContext.client(trust: .insecureNoVerification), serverName: "localhost")
        let server = try #require(try provider.transportFactory(serverFD) as? TLSTransport)
        let ends = (client: TLSTestEnd(client), server: TLSTestEnd(server))
        try TLSTestPump.handshake(ends.client, ends.server)
        return (client.peerCertificateSHA256, ends.client, ends.server)
    }

    /// Replaces `file` with `text` by rename, as certificate renewal tools do.
    private static func replace(_ file: String, with text: String, in directory: TLSTemporaryDirectory) throws {
        let staged = try directory.write(text, to: "staged.tmp")
        #expect(rename(staged, file) == 0)
    }

    @Test("after a reload with a good certificate, new connections get it and old ones keep working")
    func reloadGood() throws {
        let directory = try TLSTemporaryDirectory()
        let first = try TLSTestIdentity(in: directory)
        let second = try TLSCertificateGenerator.selfSigned(dnsNames: ["localhost"])
        let provider = try TLSContextProvider(certificateChainFile: first.certificateFile, privateKeyFile: first.keyFile)
        let before = try Self.connect(through: provider)
        #expect(before.fingerprint == first.generated.fingerprintSHA256)

        try Self.replace(first.certificateFile, with: second.certificatePEM, in: directory)
        try Self.replace(first.keyFile, with: second.privateKeyPEM, in: directory)
        try provider.reload()
        let after = try Self.connect(through: provider)
        #expect(after.fingerprint == second.fingerprintSHA256)

        // The connection made before the reload still carries data both ways.
        let old = (client: TLSTestEnd(before.client.transport, sending: Array("old".utf8)),
                   server: TLSTestEnd(before.server.transport, sending: Array("still".utf8)))
        try TLSTestPump.exchange(old.client, old.server)
        #expect(old.server.received == Array("old".utf8))
        #expect(old.client.received == Array("still".utf8))
        #expect(before.client.transport.peerCertificateSHA256 == first.generated.fingerprintSHA256)
    }

    @Test("a reload with a broken certificate throws and the old certificate stays in service")
    func reloadBadCertificate() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let provider = try TLSContextProvider(certificateChainFile: identity.certificateFile, privateKeyFile: identity.keyFile)
        let contextBefore = provider.context
        try Self.replace(identity.certificateFile, with: "-----BEGIN CERTIFICATE-----\ngarbage\n", in: directory)
        let error = #expect(throws: TLSError.self) { try provider.reload() }
        guard case .invalidCertificate(let path, _)? = error else {
            Issue.record("expected invalidCertificate, got \(String(describing: error))")
            return
        }
        #expect(path == identity.certificateFile)
        #expect(provider.context === contextBefore)
        #expect(try Self.connect(through: provider).fingerprint == identity.generated.fingerprintSHA256)
    }

    @Test("a reload where only the certificate changed (key not yet replaced) keeps the old pair")
    func reloadMismatchedPair() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let provider = try TLSContextProvider(certificateChainFile: identity.certificateFile, privateKeyFile: identity.keyFile)
        let renewed = try TLSCertificateGenerator.selfSigned(dnsNames: ["localhost"])
        try Self.replace(identity.certificateFile, with: renewed.certificatePEM, in: directory)
        #expect(throws: TLSError.keyDoesNotMatchCertificate(
            certificatePath: identity.certificateFile, privateKeyPath: identity.keyFile)) { try provider.reload() }
        #expect(try Self.connect(through: provider).fingerprint == identity.generated.fingerprintSHA256)
    }

    @Test("a reload with the files gone throws and the old certificate stays in service")
    func reloadMissingFiles() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let provider = try TLSContextProvider(certificateChainFile: identity.certificateFile, privateKeyFile: identity.keyFile)
        #expect(unlink(identity.keyFile) == 0)
        #expect(throws: TLSError.fileUnreadable(path: identity.keyFile, reason: "No such file or directory")) {
            try provider.reload()
        }
        #expect(try Self.connect(through: provider).fingerprint == identity.generated.fingerprintSHA256)
    }

    @Test("the provider refuses to start on bad files")
    func badInitialFiles() throws {
        let directory = try TLSTemporaryDirectory()
        let absent = directory.path + "/absent.pem"
        #expect(throws: TLSError.self) { try TLSContextProvider(certificateChainFile: absent, privateKeyFile: absent) }
    }
}
