@testable import CoffreClient
import CoffreCrypto
import Testing

@Suite struct VaultKeyGrantTests {
    let key: VaultKey
    let alice: Ed25519.PrivateKey  // the granter, pinned by Bob
    let bob: X25519.PrivateKey  // the recipient

    init() throws {
        key = try VaultKey.generate(vaultID: .random(), generation: 3)
        alice = try Ed25519.PrivateKey()
        bob = try X25519.PrivateKey()
    }

    func open(_ grant: VaultKeyGrant) throws -> VaultKey {
        try grant.open(vaultID: key.vaultID, generation: key.generation, with: bob, signedBy: alice.publicKey)
    }

    @Test func roundTripThroughTheWireForm() throws {
        let grant = try VaultKeyGrant.issue(key, to: bob.publicKey, signedBy: alice)
        #expect(grant.encoded.count == VaultKeyGrant.encodedByteCount)
        let parsed = try VaultKeyGrant(encoded: grant.encoded)
        #expect(parsed == grant)
        let opened = try open(parsed)
        #expect(opened.rootKey == key.rootKey && opened.generation == 3 && opened.vaultID == key.vaultID)
        try grant.verify(signedBy: alice.publicKey)
        // Fresh ephemeral key each time.
        #expect(try VaultKeyGrant.issue(key, to: bob.publicKey, signedBy: alice).encoded != grant.encoded)
    }

    @Test func forgedGrantsAreRejected() throws {
        let mallory = try Ed25519.PrivateKey()
        // The server signs a grant of a key it knows with its own signing key.
        let known = try VaultKey.generate(vaultID: key.vaultID, generation: key.generation)
        let forged = try VaultKeyGrant.issue(known, to: bob.publicKey, signedBy: mallory)
        #expect(throws: CryptoFormatError.grantSignatureInvalid) { try open(forged) }
        // ... or claims Alice as granter while signing with its own key.
        var bytes = forged.encoded
        bytes.replaceSubrange(53..<85, with: alice.publicKey.rawRepresentation)
        #expect(throws: CryptoFormatError.grantSignatureInvalid) { try open(VaultKeyGrant(encoded: bytes)) }
        // ... or re-targets a genuine grant's fields.
        let genuine = try VaultKeyGrant.issue(key, to: bob.publicKey, signedBy: alice)
        for index in genuine.encoded.indices {
            var tampered = genuine.encoded
            tampered[index] ^= 1 << UInt8(index % 8)
            #expect(throws: CryptoFormatError.self) { try open(VaultKeyGrant(encoded: tampered)) }
        }
    }

    @Test func grantsForSomethingElseAreRefused() throws {
        let grant = try VaultKeyGrant.issue(key, to: bob.publicKey, signedBy: alice)
        #expect(throws: CryptoFormatError.grantMismatch("another vault")) {
            try grant.open(vaultID: .random(), generation: 3, with: bob, signedBy: alice.publicKey)
        }
        #expect(throws: CryptoFormatError.grantMismatch("another key generation")) {
            try grant.open(vaultID: key.vaultID, generation: 2, with: bob, signedBy: alice.publicKey)
        }
        #expect(throws: CryptoFormatError.grantMismatch("wrapped to another member key")) {
            try grant.open(vaultID: key.vaultID, generation: 3, with: X25519.PrivateKey(), signedBy: alice.publicKey)
        }
    }

    // A signed grant whose ephemeral key is a low-order point: the all-zero shared secret is refused.
    @Test func lowOrderEphemeralKeyIsRefused() throws {
        let genuine = try VaultKeyGrant.issue(key, to: bob.publicKey, signedBy: alice)
        let bad = VaultKeyGrant(
            vaultID: genuine.vaultID, generation: genuine.generation, recipient: genuine.recipient, granter: genuine.granter,
            ephemeralPublicKey: try X25519.PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32)),
            sealedKey: genuine.sealedKey, signature: [])
        let signed = VaultKeyGrant(
            vaultID: bad.vaultID, generation: bad.generation, recipient: bad.recipient, granter: bad.granter,
            ephemeralPublicKey: bad.ephemeralPublicKey, sealedKey: bad.sealedKey, signature: try alice.signature(for: bad.signedMessage))
        #expect(throws: CryptoFormatError.primitive(.lowOrderPoint)) { try open(signed) }
        #expect(throws: CryptoFormatError.primitive(.lowOrderPoint)) {
            try VaultKeyGrant.issue(key, to: X25519.PublicKey(rawRepresentation: [1] + [UInt8](repeating: 0, count: 31)), signedBy: alice)
        }
    }

    @Test func malformedWireFormsAreRefused() throws {
        let encoded = try VaultKeyGrant.issue(key, to: bob.publicKey, signedBy: alice).encoded
        #expect(throws: CryptoFormatError.malformed(structure: "vault key grant", reason: "must be 229 bytes, got 228")) {
            try VaultKeyGrant(encoded: Array(encoded.dropLast()))
        }
        #expect(throws: CryptoFormatError.self) { try VaultKeyGrant(encoded: encoded + [0]) }
        #expect(throws: CryptoFormatError.self) { try VaultKeyGrant(encoded: []) }
        var version = encoded
        version[0] = 0
        #expect(throws: CryptoFormatError.unsupportedVersion(structure: "vault key grant", version: 0)) { try VaultKeyGrant(encoded: version) }
    }

    @Test func subkeysAreDistinctPerPurposeAndGeneration() throws {
        let subkeys = try key.subkeys()
        let all = [subkeys.chunker, subkeys.convergence, subkeys.meta, subkeys.nametag, key.rootKey]
        for i in all.indices { for j in all.indices where i < j { #expect(all[i] != all[j]) } }
        let next = try VaultKey.generate(vaultID: key.vaultID, generation: 4).subkeys()
        #expect(next.meta != subkeys.meta)
        #expect(try key.subkeys().meta == subkeys.meta)
        #expect(throws: CryptoFormatError.self) { try VaultKey(vaultID: key.vaultID, generation: 1, rootKey: SecretBytes(copying: [1, 2])) }
    }
}
