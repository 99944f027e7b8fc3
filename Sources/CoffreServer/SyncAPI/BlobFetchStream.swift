import CoffreProtocol

/// The body of a blob-fetch answer (`POST …/blob-fetch`, docs/protocol.md "Blobs"), produced a
/// piece at a time: `BlobBatchFraming` records in request order, each blob read from its file as
/// the piece needs it, so no more than one piece is in memory whatever the blobs' sizes (plus
/// one small blob read whole from the database, `BlobLayer.openBlocking`).
///
/// It stops before the record that would take the blob bytes past `maxBytes` (the first record
/// always goes, so every answer makes progress), and answers a blob the vault does not hold
/// (never stored, or just collected) with a record of length 0.
struct BlobFetchStream: Sendable {
    private let disk: DiskBlobStore
    private let store: SyncStore
    private let vault: VaultID
    private let ids: [BlobID]
    private let maxBytes: Int64
    /// The next id to answer.
    private var next = 0
    /// Blob bytes announced so far.
    private var announced: Int64 = 0
    /// The blob whose bytes are being copied, and how many are copied.
    private var current: (reader: any BlobReader, offset: Int64)?
    private var stopped = false

    /// The answer for `ids` from `vault`'s blobs in `disk` and `store`, at most `maxBytes` of
    /// blob bytes after the first.
    init(disk: DiskBlobStore, store: SyncStore, vault: VaultID, ids: [BlobID], maxBytes: Int64) {
        self.disk = disk
        self.store = store
        self.vault = vault
        self.ids = ids
        self.maxBytes = maxBytes
    }

    /// The next piece of the body, about `pieceBytes` long (a header is never split), or nil
    /// when the body is complete. Blocking (open and pread, or a database read). Throws when a blob cannot be read
    /// or is shorter than its size: the answer then ends cut (the connection closes with no
    /// last chunk, RFC 9112 §7.1), which the client sees.
    mutating func nextPiece(pieceBytes: Int) throws -> [UInt8]? {
        var piece: [UInt8] = []
        piece.reserveCapacity(pieceBytes)
        while piece.count < pieceBytes {
            if let (reader, offset) = current {
                try copy(from: reader, at: offset, into: &piece, upTo: pieceBytes)
                continue
            }
            guard !stopped, next < ids.count else { break }
            let id = ids[next]
            let reader: (any BlobReader)?
            do {
                reader = try BlobLayer.openBlocking(id, in: vault, disk: disk, store: store)
            } catch BlobStoreError.notFound {
                reader = nil
            }
            let size = reader?.size ?? 0
            if next > 0 && announced + size > maxBytes {
                stopped = true
                break
            }
            guard let length = UInt32(exactly: size) else { throw BlobStoreError.tooLarge(limit: Int64(UInt32.max)) }
            piece += BlobBatchFraming.header(id: id, length: length)
            announced += size
            next += 1
            if let reader, size > 0 { current = (reader, 0) }
        }
        return piece.isEmpty ? nil : piece
    }

    /// Appends the current blob's bytes from `offset` until it ends or the piece is full.
    private mutating func copy(
        from reader: any BlobReader, at offset: Int64, into piece: inout [UInt8], upTo pieceBytes: Int
    ) throws(BlobStoreError) {
        let want = Int(min(reader.size - offset, Int64(max(pieceBytes - piece.count, 1))))
        let start = piece.count
        piece += repeatElement(0, count: want)
        var got = 0
        while got < want {
            var failure: BlobStoreError?
            let read = piece.withUnsafeMutableBytes { raw -> Int in
                let space = UnsafeMutableRawBufferPointer(rebasing: raw[(start + got)..<(start + want)])
                do throws(BlobStoreError) { return try reader.read(into: space, at: offset + Int64(got)) } catch {
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            // BlobReader: fewer bytes only at the end; the size said there were more.
            guard read > 0 else { throw .sizeMismatch(expected: reader.size, actual: offset + Int64(got)) }
            got += read
        }
        current = offset + Int64(want) < reader.size ? (reader, offset + Int64(want)) : nil
    }
}
