import CoffreCrypto

/// One download's temp file (`FilePlacement`) and the local chunk readers that feed it
/// (`LocalChunkSource`, which verifies each chunk; `SyncedRangeCopier`, which copies runs of
/// provably unchanged files), carried between the download task and the blocking-work queue.
///
/// `@unchecked Sendable`: it belongs to exactly one download, whose task awaits each call
/// (on the blocking queue, or `FileOpener` writing to its descriptor) before making the next,
/// then to the `PlacementGroup` it is handed to, which likewise awaits each step (fsync,
/// rename, folder fsync) before the next; so the placement and its descriptors are never used
/// from two threads at once.
final class PlacementWriter: @unchecked Sendable {
    let placement: FilePlacement
    private let localChunks: LocalChunkSource
    private let unchangedRanges: SyncedRangeCopier

    /// Creates the temp file beside `destination`. Blocking.
    init(
        root: SyncRoot, destination: LocalPath, mode: UInt32, modificationTime: Int64, faultHook: SyncFaultHook? = nil
    ) throws(LocalFSError) {
        placement = try FilePlacement(root: root, destination: destination, mode: mode, modificationTime: modificationTime)
        localChunks = LocalChunkSource(root: root)
        unchangedRanges = SyncedRangeCopier(root: root, destination: placement.file, faultHook: faultHook)
    }

    /// The temp file's descriptor, for `FileOpener` (which writes from the current offset).
    var fileDescriptor: Int32 { placement.file.raw }

    /// Appends the chunk `reference` read from a file on disk, if it verifies; false (nothing
    /// written) when it does not. Blocking.
    func copyLocalChunk(_ location: ChunkLocation, reference: ChunkReference, cipher: ChunkCipher) throws(LocalFSError) -> Bool {
        guard var plaintext = localChunks.read(location, reference: reference, cipher: cipher) else { return false }
        defer { SecretBytes.wipe(&plaintext) }
        try placement.write(plaintext)
        return true
    }

    /// Appends `length` bytes of the synced file at `location`, copied on the proof of its
    /// metadata (`SyncedRangeCopier.copy`). Blocking.
    func copyUnchangedRange(_ location: ChunkLocation, length: Int64) throws -> SyncedRangeCopier.Outcome {
        try unchangedRanges.copy(location, length: length)
    }

    /// Whether the sources of every range copied are still as they were checked
    /// (`SyncedRangeCopier.confirm`); false means the temp file must be written again. Blocking.
    func confirmUnchangedRanges() throws -> Bool {
        try unchangedRanges.confirm()
    }

    /// Checks and decrypts a fetched blob (`ChunkCipher.openCommitted`: tag, framing, length,
    /// key commitment; not the id's hash, docs/threat-model.md "Why a read need not hash the
    /// blob") and appends its plaintext. Blocking.
    func writeOpened(_ blob: [UInt8], reference: ChunkReference, cipher: ChunkCipher) throws {
        var plaintext: [UInt8]
        do {
            plaintext = try ByteAccess.with(blob) { (bytes: UnsafeRawBufferPointer) throws(CryptoFormatError) in
                try cipher.openCommitted(bytes, reference: reference)
            }
        } catch {
            throw PipelineError.chunkRejected(index: 0, reason: error)
        }
        defer { SecretBytes.wipe(&plaintext) }
        try placement.write(plaintext)
    }

    /// The destination, as the placement was created for.
    var destination: LocalPath { placement.destination }

    /// Mode, mtime and bytes durable under the temp name (`FilePlacement.makeDurable`). Blocking.
    func makeDurable() throws(LocalFSError) {
        try placement.makeDurable()
    }

    /// Renames the temp file into place if the destination is as expected
    /// (`FilePlacement.link`); otherwise removes it and answers the conflict. Blocking.
    func linkOrDiscard(expecting expectation: PlacementExpectation) throws(LocalFSError) -> PlacementResult {
        let result = try placement.link(expecting: expectation)
        if case .conflict = result { try placement.discard() }
        return result
    }

    /// The destination folder's identity, to share its fsync with the group's other files.
    /// Blocking.
    func folderIdentity() throws(LocalFSError) -> FolderIdentity {
        try placement.folderIdentity()
    }

    /// fsync(2) of the destination folder (`FilePlacement.syncFolder`). Blocking.
    func syncFolder() throws(LocalFSError) {
        try placement.syncFolder()
    }
}
