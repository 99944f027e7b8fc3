import CoffreCrypto

/// Encryption of entry records under a vault's `meta` key (docs/format.md, "Encrypted record"):
///
///     record = 0x01 ‖ nonce(12, random) ‖ AES-256-GCM(meta, nonce, padded plaintext, aad)
///     aad    = lp("coffre/v1/record") ‖ lp(vaultId) ‖ lp(entryId) ‖ lp(parentId) ‖ lp(u8 kind)
///
/// The associated data binds where the record belongs, so a server that moves it to another
/// vault, entry or parent, or changes the entry's kind, makes it fail to open.
public struct RecordCipher: Sendable {
    static let version: UInt8 = 1
    static let label = Array("coffre/v1/record".utf8)
    static let overhead = 1 + AES256GCM.nonceByteCount + AES256GCM.tagByteCount

    private let metaKey: SecretBytes
    private let vaultID: OpaqueID

    /// A cipher for one vault key generation's `meta` subkey.
    public init(metaKey: SecretBytes, vaultID: OpaqueID) {
        self.metaKey = metaKey
        self.vaultID = vaultID
    }

    /// Encrypts `record` for entry `entryID` under folder `parentID`, with a random nonce.
    public func seal(_ record: EntryRecord, entryID: OpaqueID, parentID: OpaqueID) throws(CryptoFormatError) -> [UInt8] {
        try session().seal(record, entryID: entryID, parentID: parentID)
    }

    /// `seal` with a given nonce (test vectors fix it; never reuse a nonce otherwise).
    func seal(_ record: EntryRecord, entryID: OpaqueID, parentID: OpaqueID, nonce: [UInt8]) throws(CryptoFormatError) -> [UInt8] {
        try session().seal(record, entryID: entryID, parentID: parentID, nonce: nonce)
    }

    /// Checks and decrypts a record fetched for entry `entryID` of `kind` under `parentID`.
    public func open(
        _ sealed: [UInt8], entryID: OpaqueID, parentID: OpaqueID, kind: EntryRecord.Kind
    ) throws(CryptoFormatError) -> EntryRecord {
        try session().open(sealed, entryID: entryID, parentID: parentID, kind: kind)
    }

    /// This cipher with its key schedule made once, for many records (`Session`).
    public func session() throws(CryptoFormatError) -> Session {
        let aes = try CryptoFormatError.wrapping("entry record") { () throws(CryptoError) in try AES256GCM(key: metaKey) }
        return Session(cipher: self, aes: aes)
    }

    /// A `RecordCipher` with its AES-256-GCM key schedule made once: a sync pass seals or opens
    /// thousands of records under one `meta` key, and a schedule per record was a few percent
    /// of a device's CPU over 10,000 files (docs/performance.md, "Sync client"). Each record
    /// still gets its own random nonce. Not thread-safe (`AES256GCM`): one session per task.
    public final class Session {
        let cipher: RecordCipher
        private let aes: AES256GCM

        fileprivate init(cipher: RecordCipher, aes: AES256GCM) {
            self.cipher = cipher
            self.aes = aes
        }

        /// Encrypts `record` for entry `entryID` under folder `parentID`, with a random nonce.
        public func seal(_ record: EntryRecord, entryID: OpaqueID, parentID: OpaqueID) throws(CryptoFormatError) -> [UInt8] {
            try seal(record, entryID: entryID, parentID: parentID, nonce: AccountKeys.randomNonce())
        }

        /// `seal` with a given nonce (never reuse a nonce under one key, SP 800-38D §8).
        func seal(_ record: EntryRecord, entryID: OpaqueID, parentID: OpaqueID, nonce: [UInt8]) throws(CryptoFormatError) -> [UInt8] {
            guard nonce.count == AES256GCM.nonceByteCount else {
                throw .malformed(structure: "entry record", reason: "nonce of \(nonce.count) bytes")
            }
            var plaintext = try record.encoded()
            defer { SecretBytes.wipe(&plaintext) }
            let aad = cipher.associatedData(entryID: entryID, parentID: parentID, kind: record.kind)
            let header = 1 + AES256GCM.nonceByteCount
            var sealed = [UInt8](repeating: 0, count: plaintext.count + RecordCipher.overhead)
            sealed[0] = RecordCipher.version
            sealed.replaceSubrange(1..<header, with: nonce)
            let aes = aes
            try CryptoFormatError.wrapping("entry record") { () throws(CryptoError) in
                try ByteAccess.with(plaintext) { (p: UnsafeRawBufferPointer) throws(CryptoError) in
                    try ByteAccess.with(aad) { (a: UnsafeRawBufferPointer) throws(CryptoError) in
                        try ByteAccess.withMutable(&sealed) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                            try aes.seal(p, nonce: nonce, aad: a, into: UnsafeMutableRawBufferPointer(rebasing: out[header...]))
                        }
                    }
                }
            }
            return sealed
        }

        /// Checks and decrypts a record fetched for entry `entryID` of `kind` under `parentID`.
        public func open(
            _ sealed: [UInt8], entryID: OpaqueID, parentID: OpaqueID, kind: EntryRecord.Kind
        ) throws(CryptoFormatError) -> EntryRecord {
            let structure = "entry record"
            let bodyCount = sealed.count - RecordCipher.overhead
            guard bodyCount > 0, bodyCount <= EntryRecord.maximumPaddedByteCount, bodyCount % EntryRecord.bucketByteCount == 0 else {
                throw .malformed(structure: structure, reason: "size \(sealed.count) is not a padded record")
            }
            guard sealed[0] == RecordCipher.version else { throw .unsupportedVersion(structure: structure, version: sealed[0]) }
            let aad = cipher.associatedData(entryID: entryID, parentID: parentID, kind: kind)
            let aes = aes
            let plaintext = try CryptoFormatError.wrapping(structure) { () throws(CryptoError) in
                try SecretBytes(count: bodyCount) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) -> Void in
                    try ByteAccess.with(sealed[(1 + AES256GCM.nonceByteCount)...]) { (body: UnsafeRawBufferPointer) throws(CryptoError) in
                        try ByteAccess.with(aad) { (a: UnsafeRawBufferPointer) throws(CryptoError) in
                            try aes.open(body, nonce: sealed[1..<(1 + AES256GCM.nonceByteCount)], aad: a, into: out)
                        }
                    }
                }
            }
            return try plaintext.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in
                try EntryRecord.decode(raw, expectedKind: kind)
            }
        }
    }

    func associatedData(entryID: OpaqueID, parentID: OpaqueID, kind: EntryRecord.Kind) -> [UInt8] {
        var writer = ByteWriter(capacity: 80)
        writer.lengthPrefixed(Self.label)
        writer.lengthPrefixed(vaultID.bytes)
        writer.lengthPrefixed(entryID.bytes)
        writer.lengthPrefixed(parentID.bytes)
        writer.lengthPrefixed([kind.rawValue])
        return writer.bytes
    }
}
