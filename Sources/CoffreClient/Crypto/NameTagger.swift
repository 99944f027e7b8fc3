import CoffreCrypto

/// Name tags let the server enforce unique names among siblings without learning them
/// (docs/format.md, "Name tags"): `nameTag = HMAC-SHA256(nametag, parentId(16) ‖ UTF-8(NFC(name)))`.
/// The parent id has a fixed length, so the concatenation is unambiguous.
public struct NameTagger: Sendable {
    private let key: SecretBytes

    /// A tagger for one vault key generation's `nametag` subkey.
    public init(nametagKey: SecretBytes) {
        key = nametagKey
    }

    /// The 32-byte tag of `name` in folder `parentID`. Names that are equal after NFC get equal tags.
    public func tag(name: String, parentID: OpaqueID) throws(CryptoFormatError) -> [UInt8] {
        let normalized = String(decoding: name.nfcUTF8, as: UTF8.self)
        try EntryRecord.validateName(normalized)
        return try CryptoFormatError.wrapping("name tag") { () throws(CryptoError) in
            try HMACSHA256.authenticationCode(for: parentID.bytes + Array(normalized.utf8), key: key)
        }
    }
}
