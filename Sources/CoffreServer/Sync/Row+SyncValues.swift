import CoffreProtocol
import SQLiteStore

/// Reads the sync engine's value types from result columns, checking lengths and codes: a row
/// that breaks the schema's rules (a damaged or edited file) is an error, never a crash.
extension Row {
    /// A 16-byte id from a BLOB column, read in place.
    func identifier<Purpose>(at index: Int) throws -> OpaqueIdentifier<Purpose> {
        let id = try withBlob(at: index) { bytes in OpaqueIdentifier<Purpose>(bytes: bytes) }
        guard let id else { throw SyncError.internalFailure("a stored \(Purpose.label) is not 16 bytes") }
        return id
    }

    /// A blob id from a 32-byte BLOB column.
    func blobID(at index: Int) throws -> BlobID {
        let id = try withBlob(at: index) { bytes in BlobID(bytes: bytes) }
        guard let id else { throw SyncError.internalFailure("a stored blob hash is not 32 bytes") }
        return id
    }

    /// A name tag from a 32-byte BLOB column.
    func nameTag(at index: Int) throws -> NameTag {
        let tag = try withBlob(at: index) { bytes in NameTag(bytes: bytes) }
        guard let tag else { throw SyncError.internalFailure("a stored name tag is not 32 bytes") }
        return tag
    }

    /// An entry kind from its record-format code.
    func entryKind(at index: Int) throws -> EntryKind {
        guard let kind = EntryKind(code: try int64(at: index)) else {
            throw SyncError.internalFailure("a stored entry kind is unknown")
        }
        return kind
    }

    /// A role from its TEXT name.
    func role(at index: Int) throws -> VaultRole {
        guard let role = VaultRole(rawValue: try string(at: index)) else {
            throw SyncError.internalFailure("a stored role is unknown")
        }
        return role
    }

    /// Opaque bytes from a BLOB column.
    func base64Bytes(at index: Int) throws -> Base64Bytes {
        Base64Bytes(try blob(at: index))
    }

    /// A 0/1 INTEGER column.
    func flag(at index: Int) throws -> Bool {
        try int64(at: index) != 0
    }
}
