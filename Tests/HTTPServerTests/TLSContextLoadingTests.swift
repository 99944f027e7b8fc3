import COpenSSL
import Testing

@testable import HTTPServer

/// Loading the server's certificate chain and key: every way the files can be wrong.
@Suite("TLS server context loading")
struct TLSContextLoadingTests {
    @Test("a generated certificate and its key load")
    func loads() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let context = try identity.serverContext()
        #expect(context.role == .server)
    }

    @Test("a missing certificate file or key file names the file and the reason")
    func missingFiles() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let absent = directory.path + "/absent.pem"
        #expect(throws: TLSError.fileUnreadable(path: absent, reason: "No such file or directory")) {
            try TLSContext.server(certificateChainFile: absent, privateKeyFile: identity.keyFile)
        }
        #expect(throws: TLSError.fileUnreadable(path: absent, reason: "No such file or directory")) {
            try TLSContext.server(certificateChainFile: identity.certificateFile, privateKeyFile: absent)
        }
        #expect(throws: TLSError.fileUnreadable(path: directory.path, reason: "not a regular file")) {
            try TLSContext.server(certificateChainFile: directory.path, privateKeyFile: identity.keyFile)
        }
        #expect(throws: TLSError.self) {
            try TLSContext.server(certificateChainFile: "", privateKeyFile: identity.keyFile)
        }
        let description = TLSError.fileUnreadable(path: absent, reason: "No such file or directory").description
        #expect(description == "cannot read \(absent): No such file or directory")
    }

    @Test("a certificate file that is not PEM is reported as an invalid certificate")
    func badCertificatePEM() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let truncated = String(identity.generated.certificatePEM.prefix(200))
        for (name, text) in [("empty.crt", ""), ("text.crt", "hello\n"), ("truncated.crt", truncated)] {
            let file = try directory.write(text, to: name)
            let error = #expect(throws: TLSError.self) {
                try TLSContext.server(certificateChainFile: file, privateKeyFile: identity.keyFile)
            }
            guard case .invalidCertificate(let path, let detail)? = error else {
                Issue.record("\(name): expected invalidCertificate, got \(String(describing: error))")
                continue
            }
            #expect(path == file)
            #expect(!detail.isEmpty)
        }
    }

    @Test("a key file that is not a PEM private key is reported as an invalid key")
    func badKeyPEM() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        // The certificate is PEM, but not a key.
        for file in [try directory.write("junk\n", to: "junk.key"), identity.certificateFile] {
            let error = #expect(throws: TLSError.self) {
                try TLSContext.server(certificateChainFile: identity.certificateFile, privateKeyFile: file)
            }
            guard case .invalidPrivateKey(let path, _)? = error else {
                Issue.record("expected invalidPrivateKey, got \(String(describing: error))")
                continue
            }
            #expect(path == file)
        }
    }

    @Test("an encrypted key is refused instead of prompting for a passphrase")
    func encryptedKey() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let key = try TLSPrivateKey.generateP256()
        let bio = try TLSBIO.memory()
        let passphrase = Array("correct horse".utf8)
        let written = passphrase.withUnsafeBufferPointer { phrase in
            PEM_write_bio_PKCS8PrivateKey(
                bio.handle, key.handle, EVP_aes_256_cbc(), phrase.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                Int32(phrase.count), nil, nil)
        }
        try #require(written == 1)
        let file = try directory.write(try bio.readAll(), to: "encrypted.key")
        let error = #expect(throws: TLSError.self) {
            try TLSContext.server(certificateChainFile: identity.certificateFile, privateKeyFile: file)
        }
        guard case .invalidPrivateKey(let path, _)? = error else {
            Issue.record("expected invalidPrivateKey, got \(String(describing: error))")
            return
        }
        #expect(path == file)
    }

    @Test("a key that is not the certificate's says so, naming both files and no key material")
    func keyMismatch() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let other = try TLSTestIdentity(in: directory, prefix: "other")
        let error = #expect(throws: TLSError.self) {
            try TLSContext.server(certificateChainFile: identity.certificateFile, privateKeyFile: other.keyFile)
        }
        #expect(error == .keyDoesNotMatchCertificate(certificatePath: identity.certificateFile, privateKeyPath: other.keyFile))
        let text = String(describing: error)
        #expect(text.contains("does not match") && text.contains(identity.certificateFile) && text.contains(other.keyFile))
        let keyBody = other.generated.privateKeyPEM.split(separator: "\n").dropFirst().dropLast()
        #expect(!keyBody.contains { text.contains($0) })
    }

    @Test("a chain file with the leaf and an intermediate loads; the key must match the first certificate")
    func chainOrder() throws {
        let directory = try TLSTemporaryDirectory()
        let leaf = try TLSTestIdentity(in: directory, prefix: "leaf")
        let other = try TLSTestIdentity(in: directory, prefix: "other")
        let chain = try directory.write(leaf.generated.certificatePEM + other.generated.certificatePEM, to: "chain.crt")
        _ = try TLSContext.server(certificateChainFile: chain, privateKeyFile: leaf.keyFile)
        #expect(throws: TLSError.keyDoesNotMatchCertificate(certificatePath: chain, privateKeyPath: other.keyFile)) {
            try TLSContext.server(certificateChainFile: chain, privateKeyFile: other.keyFile)
        }
    }
}
