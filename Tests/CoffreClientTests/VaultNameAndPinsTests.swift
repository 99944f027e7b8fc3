@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import Testing

/// Vault names sealed under the vault key, member keys pinned on first use, and grants
/// opened only from trusted signers.
@Suite struct VaultNameAndPinsTests {
    static func key(_ vault: OpaqueID? = nil, generation: UInt32 = 1) throws -> VaultKey {
        try VaultKey.generate(vaultID: vault ?? OpaqueID.random(), generation: generation)
    }

    @Test func namesRoundTripAndHideTheirLength() throws {
        let cipher = try VaultNameCipher(key: try Self.key())
        let short = try cipher.seal("a")
        let long = try cipher.seal(String(repeating: "Ü", count: 100))
        #expect(try cipher.open(short) == "a")
        #expect(try cipher.open(long) == String(repeating: "Ü", count: 100))
        #expect(short.count == long.count, "padded to the same bucket")
        #expect(short != (try cipher.seal("a")), "a fresh nonce each time")
    }

    @Test func aNameOpensOnlyUnderItsOwnVaultKey() throws {
        let key = try Self.key()
        let sealed = try VaultNameCipher(key: key).seal("Documents")
        // Another vault's key, and the same root key presented as another vault's.
        #expect(throws: CryptoFormatError.self) { try VaultNameCipher(key: try Self.key()).open(sealed) }
        let moved = try VaultKey(vaultID: try OpaqueID.random(), generation: 1, rootKey: key.rootKey)
        #expect(throws: CryptoFormatError.self) { try VaultNameCipher(key: moved).open(sealed) }
        // An entry's record of the same vault is not a name (entry and parent ids differ).
        let records = RecordCipher(metaKey: try key.subkeys().meta, vaultID: key.vaultID)
        let entry = try records.seal(
            EntryRecord(kind: .folder, name: "Documents", modificationTime: 0, mode: 0, size: 0), entryID: try OpaqueID.random(),
            parentID: try OpaqueID(bytes: [UInt8](repeating: 0, count: 16)))
        #expect(throws: CryptoFormatError.self) { try VaultNameCipher(key: key).open(entry) }
        // Truncated and flipped bytes.
        #expect(throws: CryptoFormatError.self) { try VaultNameCipher(key: key).open(Array(sealed.dropLast())) }
        var flipped = sealed
        flipped[20] ^= 1
        #expect(throws: CryptoFormatError.self) { try VaultNameCipher(key: key).open(flipped) }
    }

    @Test(arguments: ["", "a/b", ".", "..", "nul\u{0}"])
    func unusableNamesAreRefused(_ name: String) throws {
        #expect(throws: CryptoFormatError.self) { try VaultNameCipher(key: try Self.key()).seal(name) }
    }

    static func home() throws -> ClientHome {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-pins-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return ClientHome(path: path)
    }

    static func keys(_ user: Int64, x: UInt8 = 1, ed: UInt8 = 2) -> UserPublicKeys {
        UserPublicKeys(
            userId: user, userName: "user\(user)", x25519PublicKey: Base64Bytes([UInt8](repeating: x, count: 32)),
            ed25519PublicKey: Base64Bytes([UInt8](repeating: ed, count: 32)))
    }

    @Test func keysArePinnedOnFirstUseAndAChangeIsRefused() throws {
        let home = try Self.home()
        defer { try? FileManager.default.removeItem(atPath: home.path) }
        var pins = try MemberKeyPins(home: home)
        #expect(try pins.check(Self.keys(5)))
        try pins.save()
        var reloaded = try MemberKeyPins(home: home)
        #expect(try reloaded.check(Self.keys(5)) == false)
        #expect(throws: VaultError.self) { try reloaded.check(Self.keys(5, ed: 9)) }
        #expect(throws: VaultError.self) { try reloaded.check(Self.keys(5, x: 9)) }
        var short = Self.keys(6)
        short.ed25519PublicKey = Base64Bytes([1, 2, 3])
        #expect(throws: VaultError.self) { try reloaded.check(short) }
        #expect(reloaded.pins.count == 1)
        var info = stat()
        #expect(stat(home.path + "/" + MemberKeyPins.fileName, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test func aCorruptedPinFileIsRefused() throws {
        let home = try Self.home()
        defer { try? FileManager.default.removeItem(atPath: home.path) }
        let file = home.path + "/" + MemberKeyPins.fileName
        FileManager.default.createFile(atPath: file, contents: Data("{not json".utf8), attributes: [.posixPermissions: 0o600])
        #expect(throws: VaultError.self) { try MemberKeyPins(home: home) }
        // Readable by others: refused like account.json.
        FileManager.default.createFile(
            atPath: file, contents: Data(#"{"version":1,"users":[]}"#.utf8), attributes: [.posixPermissions: 0o644])
        #expect(throws: VaultError.self) { try MemberKeyPins(home: home) }
    }

    @Test func fingerprintsAre128BitsOfHex() {
        let print = MemberKeyPins.fingerprint(x25519: [UInt8](repeating: 1, count: 32), ed25519: [UInt8](repeating: 2, count: 32))
        #expect(print.count == 47 && print.split(separator: ":").count == 16)
        #expect(print != MemberKeyPins.fingerprint(x25519: [UInt8](repeating: 2, count: 32), ed25519: [UInt8](repeating: 1, count: 32)))
    }

    /// A vault client with fresh keys (its API is never called).
    static func client(home: ClientHome) throws -> VaultClient {
        let state = ClientHomeTests.state()
        return VaultClient(
            state: state, home: home, api: try VaultClient.syncAPI(for: state), agreement: try X25519.PrivateKey(),
            signing: try Ed25519.PrivateKey())
    }

    @Test func grantsOpenOnlyFromTrustedSignersForTheRightVault() throws {
        let home = try Self.home()
        defer { try? FileManager.default.removeItem(atPath: home.path) }
        let client = try Self.client(home: home)
        let vault = try OpaqueID.random()
        let vaultID = try #require(VaultID(bytes: vault.bytes))
        let key = try Self.key(vault)
        let own = try VaultKeyGrant.issue(key, to: client.agreement.publicKey, signedBy: client.signing)
        let signers = client.trustedSigners(try MemberKeyPins(home: home))
        #expect(try client.open(own, generation: 1, vault: vaultID, signers: signers).rootKey == key.rootKey)
        // Signed by a stranger (a key the server made up): refused before anything is opened.
        let stranger = try VaultKeyGrant.issue(key, to: client.agreement.publicKey, signedBy: try Ed25519.PrivateKey())
        #expect(throws: VaultError.self) { try client.open(stranger, generation: 1, vault: vaultID, signers: signers) }
        // Another vault's id or generation than the grant's.
        #expect(throws: VaultError.self) { try client.open(own, generation: 2, vault: vaultID, signers: signers) }
        let other = try #require(VaultID(bytes: try OpaqueID.random().bytes))
        #expect(throws: VaultError.self) { try client.open(own, generation: 1, vault: other, signers: signers) }
        // Wrapped to someone else's key.
        let elsewhere = try VaultKeyGrant.issue(key, to: try X25519.PrivateKey().publicKey, signedBy: client.signing)
        #expect(throws: VaultError.self) { try client.open(elsewhere, generation: 1, vault: vaultID, signers: signers) }
        // Garbage bytes are not a grant.
        #expect(throws: VaultError.self) { try VaultClient.parse(WrappedVaultKey(generation: 1, wrappedKey: Base64Bytes([1, 2, 3]))) }
    }
}
