import CoffreCrypto
import CoffreProtocol

/// The SHA-256 of a commit request and its author, stored with the commit id so that a retry
/// is recognised as the same commit and a reused id with other changes is refused.
///
/// The encoding is fixed-width or length-prefixed field by field, so two different requests
/// never encode alike: label, user id, change count, then per change entry id, base rev,
/// parent id, kind code, name tag, deleted flag, record length and bytes, blob count and ids.
enum CommitDigest {
    static func compute(_ request: CommitRequest, user: Int64) throws(SyncError) -> [UInt8] {
        do {
            let hasher = try SHA256()
            try hasher.update(Array("coffre/v1/commit-digest".utf8))
            try hasher.update(bigEndian: user)
            try hasher.update(bigEndian: Int64(request.changes.count))
            for change in request.changes {
                try hasher.update(change.entryId.bytes)
                try hasher.update(bigEndian: change.baseRev)
                try hasher.update(change.parentId.bytes)
                try hasher.update(bigEndian: change.kind.code)
                try hasher.update(change.nameTag.bytes)
                try hasher.update(bigEndian: change.deleted ? 1 : 0)
                try hasher.update(bigEndian: Int64(change.record.count))
                try hasher.update(change.record.bytes)
                try hasher.update(bigEndian: Int64(change.blobs.count))
                for blob in change.blobs { try hasher.update(blob.bytes) }
            }
            return try hasher.finalize()
        } catch {
            throw .internalFailure("the commit digest could not be computed")
        }
    }
}

extension SHA256 {
    /// Feeds the 8 big-endian bytes of `value`.
    fileprivate func update(bigEndian value: Int64) throws(CryptoError) {
        try Swift.withUnsafeBytes(of: value.bigEndian) { (bytes) throws(CryptoError) in try update(bytes) }
    }
}
