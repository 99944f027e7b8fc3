import CoffreCrypto
import CoffreProtocol
import Foundation

/// Other users' public keys, pinned on first use in `$COFFRE_HOME/member-keys.json` (DESIGN
/// §6, "Hardening"): a vault key grant opens only when it is signed by this account's key or
/// a pinned one, and a vault is shared only to the key pinned for that user. A server that
/// later hands out another key for a pinned user is refused (`memberKeyChanged`), so it
/// cannot slip in a key it holds once the first exchange was honest; `coffre vault share` and
/// `vault members` print the fingerprints to compare out of band.
public struct MemberKeyPins: Sendable {
    /// The file, in `$COFFRE_HOME`.
    public static let fileName = "member-keys.json"

    /// One pinned user.
    public struct Pin: Codable, Sendable, Equatable {
        /// The user's id.
        public var userId: Int64
        /// Their name when pinned (shown only; the id is what is matched).
        public var userName: String
        /// The key vault keys are wrapped to.
        public var x25519PublicKey: Base64Bytes
        /// The key their grants are signed with.
        public var ed25519PublicKey: Base64Bytes
    }

    private struct Document: Codable {
        var version = 1
        var users: [Pin]
    }

    /// Pinned users by id.
    public private(set) var pins: [Int64: Pin]
    private let home: ClientHome

    /// The pins stored in `home` (none when the file does not exist).
    public init(home: ClientHome) throws(VaultError) {
        self.home = home
        let bytes: [UInt8]?
        do { bytes = try home.readDocument(Self.fileName) } catch { throw .account(error) }
        guard let bytes else {
            pins = [:]
            return
        }
        do {
            let document = try JSONDecoder().decode(Document.self, from: Data(bytes))
            guard document.version == 1 else { throw VaultError.account(.stateUnusable(path: home.path + "/" + Self.fileName, reason: "has an unknown version")) }
            pins = Dictionary(document.users.map { ($0.userId, $0) }, uniquingKeysWith: { first, _ in first })
        } catch let error as VaultError {
            throw error
        } catch {
            throw .account(.stateUnusable(path: home.path + "/" + Self.fileName, reason: "is corrupted; remove it to pin member keys again"))
        }
    }

    /// Checks `keys` against the pin for their user, pinning them when there is none yet.
    /// Returns true when they were pinned just now. Keys of the wrong length are refused.
    @discardableResult
    public mutating func check(_ keys: UserPublicKeys) throws(VaultError) -> Bool {
        guard keys.x25519PublicKey.bytes.count == X25519.byteCount, keys.ed25519PublicKey.bytes.count == 32 else {
            throw .grantRefused("the server sent a public key of the wrong length")
        }
        if let pinned = pins[keys.userId] {
            guard pinned.x25519PublicKey == keys.x25519PublicKey, pinned.ed25519PublicKey == keys.ed25519PublicKey else {
                throw .memberKeyChanged(userID: keys.userId)
            }
            return false
        }
        pins[keys.userId] = Pin(
            userId: keys.userId, userName: keys.userName, x25519PublicKey: keys.x25519PublicKey, ed25519PublicKey: keys.ed25519PublicKey)
        return true
    }

    /// The pinned signing keys.
    public var signingKeys: [[UInt8]] { pins.values.map(\.ed25519PublicKey.bytes) }

    /// Writes the pins (atomically, mode 0600).
    public func save() throws(VaultError) {
        do {
            try home.saveDocument(Document(users: pins.values.sorted { $0.userId < $1.userId }), as: Self.fileName)
        } catch {
            throw .account(error)
        }
    }

    /// The fingerprint of a user's keys: the first 16 bytes (128 bits, enough against a second
    /// preimage) of SHA-256 of the Ed25519 then the X25519 public key, as colon-separated hex
    /// (what `vault share` and `vault members` print).
    public static func fingerprint(x25519: [UInt8], ed25519: [UInt8]) -> String {
        DisplayFormat.fingerprint(Array(((try? SHA256.hash(ed25519 + x25519)) ?? []).prefix(16)))
    }
}
