@testable import CoffreClient
import CoffreCrypto
import Testing

/// Recomputes every vector of docs/format.md with this implementation.
@Suite struct FormatVectorTests {
    let v: FormatVectors

    init() throws { v = try FormatVectors.load() }

    @Test func documentHasEveryBlock() {
        for name in ["padme", "account-keys", "wrapped-keys", "vault-subkeys", "grant", "chunk-empty", "chunk-hello",
                     "chunk-text", "name-tag", "name-tag-nfd", "record-file", "record-symlink"] {
            #expect(v.blocks[name] != nil, "missing vector \(name)")
        }
    }

    @Test func padme() throws {
        let table = try #require(v.blocks["padme"])
        #expect(table.count >= 8)
        for (key, value) in table {
            #expect(Padme.paddedLength(Int(key.dropFirst())!) == Int(value)!, "Padmé(\(key))")
        }
    }

    @Test func accountKeys() throws {
        let parameters = KDFParameters(
            cost: .init(n: try v.number("account-keys", "n"), r: try v.number("account-keys", "r"), p: try v.number("account-keys", "p")),
            salt: try v.bytes("account-keys", "salt"))
        let keys = try AccountKeys.derive(password: try v.string("account-keys", "password-utf8"), parameters: parameters, policy: .testingOnly)
        #expect(Hex.encode(keys.authKey) == (try v.text("account-keys", "auth-key")))
        #expect(Hex.encode(keys.keyEncryptionKey) == (try v.text("account-keys", "kek")))
        // The master key is not kept by AccountKeys; check the documented value with the primitives.
        let master = try Scrypt.deriveKey(
            password: try v.string("account-keys", "password-utf8").nfcUTF8, salt: parameters.salt, parameters: parameters.cost, outputByteCount: 32)
        #expect(Hex.encode(master) == (try v.text("account-keys", "master")))
    }

    @Test func wrappedKeys() throws {
        let keys = AccountKeys(authKey: SecretBytes(copying: [UInt8](repeating: 0, count: 32)),
                               keyEncryptionKey: SecretBytes(copying: try v.bytes("wrapped-keys", "kek")))
        let x = try X25519.PrivateKey(rawRepresentation: try v.bytes("wrapped-keys", "x25519-private"))
        let e = try Ed25519.PrivateKey(rawRepresentation: try v.bytes("wrapped-keys", "ed25519-seed"))
        let wx = try keys.wrap(x.rawRepresentation, label: AccountKeys.agreementLabel, nonce: try v.bytes("wrapped-keys", "nonce-x25519"))
        let we = try keys.wrap(e.rawRepresentation, label: AccountKeys.signingLabel, nonce: try v.bytes("wrapped-keys", "nonce-ed25519"))
        #expect(Hex.encode(wx) == (try v.text("wrapped-keys", "wrapped-x25519")))
        #expect(Hex.encode(we) == (try v.text("wrapped-keys", "wrapped-ed25519")))
        #expect(try keys.unwrapAgreementKey(wx).publicKey == x.publicKey)
        #expect(try keys.unwrapSigningKey(we).publicKey == e.publicKey)
    }

    @Test func vaultSubkeys() throws {
        let key = try VaultKey(vaultID: .init(bytes: [UInt8](repeating: 0, count: 16)), generation: 1,
                               rootKey: SecretBytes(copying: try v.bytes("vault-subkeys", "root-key")))
        let subkeys = try key.subkeys()
        #expect(Hex.encode(subkeys.chunker) == (try v.text("vault-subkeys", "chunker")))
        #expect(Hex.encode(subkeys.convergence) == (try v.text("vault-subkeys", "convergence")))
        #expect(Hex.encode(subkeys.meta) == (try v.text("vault-subkeys", "meta")))
        #expect(Hex.encode(subkeys.nametag) == (try v.text("vault-subkeys", "nametag")))
    }

    @Test func grant() throws {
        let vault = try OpaqueID(bytes: try v.bytes("grant", "vault-id"))
        let generation: UInt32 = try v.number("grant", "generation")
        let key = try VaultKey(vaultID: vault, generation: generation, rootKey: SecretBytes(copying: try v.bytes("grant", "root-key")))
        let recipient = try X25519.PrivateKey(rawRepresentation: try v.bytes("grant", "recipient-private"))
        let granter = try Ed25519.PrivateKey(rawRepresentation: try v.bytes("grant", "granter-seed"))
        let ephemeral = try X25519.PrivateKey(rawRepresentation: try v.bytes("grant", "ephemeral-private"))
        #expect(Hex.encode(recipient.publicKey.rawRepresentation) == (try v.text("grant", "recipient-public")))
        #expect(Hex.encode(granter.publicKey.rawRepresentation) == (try v.text("grant", "granter-public")))
        #expect(Hex.encode(ephemeral.publicKey.rawRepresentation) == (try v.text("grant", "ephemeral-public")))
        let grant = try VaultKeyGrant.issue(key, to: recipient.publicKey, signedBy: granter, ephemeral: ephemeral)
        #expect(Hex.encode(grant.encoded) == (try v.text("grant", "grant")))
        let parsed = try VaultKeyGrant(encoded: try v.bytes("grant", "grant"))
        let opened = try parsed.open(vaultID: vault, generation: generation, with: recipient, signedBy: granter.publicKey)
        #expect(opened.rootKey == key.rootKey)
    }

    @Test(arguments: ["chunk-empty", "chunk-hello", "chunk-text"])
    func chunk(name: String) throws {
        let cipher = ChunkCipher(convergenceKey: SecretBytes(copying: try v.bytes(name, "convergence")))
        let plaintext = try v.bytes(name, "plaintext")
        let sealed = try cipher.seal(plaintext)
        #expect(Hex.encode(sealed.reference.key) == (try v.text(name, "chunk-key")))
        #expect(Hex.encode(sealed.blob) == (try v.text(name, "blob")))
        #expect(Hex.encode(sealed.reference.blobID) == (try v.text(name, "blob-id")))
        #expect(try cipher.open(try v.bytes(name, "blob"), reference: sealed.reference) == plaintext)
    }

    @Test(arguments: ["name-tag", "name-tag-nfd"])
    func nameTag(name: String) throws {
        let tagger = NameTagger(nametagKey: SecretBytes(copying: try v.bytes(name, "nametag")))
        let tag = try tagger.tag(name: try v.string(name, "name-utf8"), parentID: .init(bytes: try v.bytes(name, "parent-id")))
        #expect(Hex.encode(tag) == (try v.text(name, "tag")))
    }

    @Test(arguments: ["record-file", "record-symlink"])
    func record(name: String) throws {
        let vault = try OpaqueID(bytes: try v.bytes(name, "vault-id"))
        let entry = try OpaqueID(bytes: try v.bytes(name, "entry-id"))
        let parent = try OpaqueID(bytes: try v.bytes(name, "parent-id"))
        let kind = try #require(EntryRecord.Kind(rawValue: try v.number(name, "kind")))
        let cipher = RecordCipher(metaKey: SecretBytes(copying: try v.bytes(name, "meta")), vaultID: vault)
        var manifest = EntryRecord.Manifest.none
        if kind == .file {
            // The file vectors reference chunk-hello.
            let reference = try ChunkReference(
                blobID: try v.bytes("chunk-hello", "blob-id"), key: SecretBytes(copying: try v.bytes("chunk-hello", "chunk-key")),
                length: UInt32(try v.bytes("chunk-hello", "plaintext").count))
            manifest = .inline([reference])
        }
        let target = try v.string(name, "target-utf8")
        let record = EntryRecord(
            kind: kind, name: try v.string(name, "name-utf8"), modificationTime: try v.number(name, "mtime"),
            mode: try v.number(name, "mode"), size: try v.number(name, "size"),
            symlinkTarget: target.isEmpty ? nil : target, manifest: manifest)
        #expect(Hex.encode(try record.encoded()) == (try v.text(name, "plaintext")))
        #expect(Hex.encode(cipher.associatedData(entryID: entry, parentID: parent, kind: kind)) == (try v.text(name, "aad")))
        let sealed = try cipher.seal(record, entryID: entry, parentID: parent, nonce: try v.bytes(name, "nonce"))
        #expect(Hex.encode(sealed) == (try v.text(name, "record")))
        #expect(try cipher.open(try v.bytes(name, "record"), entryID: entry, parentID: parent, kind: kind) == record)
    }
}
