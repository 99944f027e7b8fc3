import CoffreProtocol
import Dispatch
import HTTPServer
import Logging
import Synchronization

/// The blob layer between the routes and the stores: blob bytes in `DiskBlobStore` or, for
/// blobs of at most `inlineMaxBytes`, in the database next to their row (`blob_bytes`,
/// docs/storage-blobs.md "Two homes"), blob rows in `SyncStore`, their cost in the uploader's
/// quota (`QuotaService`, `BlobChargeSchema`).
///
/// Its rules:
/// - **Blobs before metadata.** A blob is recorded only after its bytes are durable (DESIGN §5);
///   a small blob's bytes are written by the transaction that records it, so both are durable
///   together, with one log sync and no file.
/// - **Quota before bytes.** An upload reserves its bytes before anything is written and is
///   refused with 507 when there is no room; when it ends, the reservation is settled against
///   what was new to the vault in the transaction that records it, or given back on failure.
/// - **One blob, one writer at a time.** Publishing and recording a blob, and GC's deleting of
///   its row and file, hold that blob's lock (`BlobLocks`), so GC never deletes the file of a
///   blob that an upload has just recorded again.
/// - **No blocking on the event loop.** write(2), SHA-256, fsync and rename run through
///   `HTTPBlockingWork`, a batch of body chunks at a time.
public final class BlobLayer: Sendable {
    /// The vault tables.
    public let store: SyncStore
    /// The bytes.
    public let disk: DiskBlobStore
    /// The uploaders' quotas.
    let quotas: QuotaService
    /// Per-blob serialisation of uploads against garbage collection.
    let locks = BlobLocks()
    /// The rows of uploads that finish together, recorded in one transaction (group commit).
    let uploadRecords: UploadRecordGroups
    /// Blob-read authorisation, cached.
    let readers: VaultReaderCache
    /// Small blobs' bytes, for the blob GET's fast lane.
    let smallBlobs = SmallBlobCache()
    let logger: Logger
    /// Blobs of at most this many bytes live in the database (`storage.inlineMaxBytes`).
    let inlineMaxBytes: Int64

    /// The default of `storage.inlineMaxBytes`: 16 KiB holds the chunk blob of a file of up to
    /// about 16 KiB (a 4 KiB file's is about 4.1 KiB), docs/storage-blobs.md "Two homes".
    public static let defaultInlineMaxBytes: Int64 = 16 << 10
    /// The largest `storage.inlineMaxBytes` accepted: each inline blob in flight is held in
    /// memory whole, and sqlite.org found files faster to read from about 100 KiB up
    /// (https://www.sqlite.org/intern-v-extern-blob.html).
    public static let inlineMaxBytesLimit: Int64 = 64 << 10
    /// At most this many bytes of small blobs of one batch upload are held in memory for the
    /// database; the batch's other small blobs go to temp files as large ones do.
    static let inlineBatchBytes: Int64 = 4 << 20

    /// About this many body bytes go to one blocking write (one `HTTPBlockingWork.run`).
    static let writeBatchBytes = 1 << 20

    /// The blob layer over these stores, keeping blobs of at most `inlineMaxBytes` (0 to
    /// `inlineMaxBytesLimit`, clamped; 0 keeps every blob in a file) in the database.
    public init(
        store: SyncStore, disk: DiskBlobStore, quotas: QuotaService, inlineMaxBytes: Int64 = defaultInlineMaxBytes,
        logger: Logger
    ) {
        self.store = store
        self.inlineMaxBytes = min(max(inlineMaxBytes, 0), Self.inlineMaxBytesLimit)
        self.disk = disk
        self.quotas = quotas
        self.readers = VaultReaderCache(store: store)
        self.uploadRecords = UploadRecordGroups(store: store)
        self.logger = logger
    }

    /// The blob namespace of a vault: its id in hex, always a valid namespace.
    static func namespace(_ vault: VaultID) throws(BlobStoreError) -> BlobNamespace {
        try BlobNamespace(vault.hex)
    }

    /// Feeds `body` to `write` in batches of about `writeBatchBytes`, each batch one
    /// `QueuedWrite` on the upload's serial queue (as `fill` writes). While one batch is being written the next is received, so the
    /// socket and the disk work at the same time. A written batch's chunks go back to the body
    /// (`HTTPRequestBody.recycle`) to be read into again. Waits for the write in flight before
    /// returning or throwing.
    static func stream(
        _ body: HTTPRequestBody, to write: @escaping @Sendable ([[UInt8]]) throws -> Void
    ) async throws {
        var batch: [[UInt8]] = []
        var batchBytes = 0
        var writing: QueuedWrite?
        // The upload's writes (hash, then a write that waits for the disk) one after the other
        // on a thread of their own, not on Dispatch's global pool, whose one or two threads
        // eight uploads' writes would take turns on while each waits for the disk.
        let writes = DispatchQueue(label: "coffre.blob.upload-writes", qos: .userInitiated)
        do {
            for try await chunk in body {
                batch.append(chunk)
                batchBytes += chunk.count
                guard batchBytes >= writeBatchBytes else { continue }
                try await writing?.value()
                let ready = ReceivedChunks(batch)
                batch = []
                batchBytes = 0
                writing = QueuedWrite(on: writes) { try ready.write(with: write, recyclingInto: body) }
            }
            try await writing?.value()
            writing = nil
            if !batch.isEmpty {
                let rest = batch
                try await HTTPBlockingWork.run(on: writes) { try write(rest) }
            }
        } catch {
            _ = try? await writing?.value()
            throw error
        }
    }

    /// Reads the `length` bytes of `body` straight into `upload`'s buffers in turn
    /// (`HTTPRequestBody.fill`: the event loop reads the socket into them) and has each
    /// written (`writeFilled`: hashed, and written from where it is) while the next ones fill,
    /// on a serial queue of the upload's own as `stream` does, in order. No body byte is
    /// copied on the way, and the handler wakes once per buffer instead of once per socket
    /// read. A buffer is filled again only once its previous write returned. Waits for every
    /// write before returning or throwing.
    static func fill(
        _ body: HTTPRequestBody, into upload: any FillableBlobUpload, buffers: [BlobFillBuffer], length: Int64
    ) async throws {
        let writes = DispatchQueue(label: "coffre.blob.upload-writes", qos: .userInitiated)
        var pending = [QueuedWrite?](repeating: nil, count: buffers.count)
        var received: Int64 = 0
        var next = 0
        do {
            while true {
                let buffer = buffers[next]
                try await pending[next]?.value()
                pending[next] = nil
                let count = try await body.fill(buffer.memory)
                received += Int64(count)
                let last = count < buffer.memory.count || received >= length
                if count > 0 {
                    pending[next] = QueuedWrite(on: writes) { try upload.writeFilled(buffer, count: count, last: last) }
                }
                if last { break }
                next = (next + 1) % buffers.count
            }
            for write in pending { try await write?.value() }
        } catch {
            for write in pending { _ = try? await write?.value() }
            throw error
        }
    }

    /// Whether a blob of `size` bytes lives in the database (a 0-byte blob too, when inlining is on).
    func isInline(_ size: Int64) -> Bool {
        inlineMaxBytes > 0 && size <= inlineMaxBytes
    }

    /// The lean fast lane's entry point (`BlobFastLane`): the prepared 200 of blob `id` of
    /// `vault` when it is kept and `user` is known to be a member of `vault`, without waiting;
    /// nil otherwise (then the route decides, as for `cachedSmallBlob`).
    func cachedSmallBlobResponse(_ id: BlobID, in vault: VaultID, user: Int64) -> HTTPPreparedResponse? {
        guard readers.isKnownMember(user, of: vault) else { return nil }
        return smallBlobs.response(of: id, in: vault)
    }

    /// Runs blocking store work off the event loop, keeping `BlobStoreError`s typed.
    static func blocking<Result: Sendable>(
        _ body: @escaping @Sendable () throws(BlobStoreError) -> Result
    ) async throws -> Result {
        try await HTTPBlockingWork.run { try body() }
    }
}

/// A batch of body chunks on its way to one blocking write and then back to the body as spares
/// (`HTTPRequestBody.recycle`). The write takes the chunks out, so it holds their only
/// references when it gives them back, and the next socket reads reuse them without a copy.
private final class ReceivedChunks: Sendable {
    private let chunks: Mutex<[[UInt8]]>

    init(_ chunks: [[UInt8]]) {
        self.chunks = Mutex(chunks)
    }

    /// Calls `write` with the chunks, then recycles them into `body` (not after a failure).
    func write(with write: ([[UInt8]]) throws -> Void, recyclingInto body: HTTPRequestBody) throws {
        let taken = chunks.withLock { chunks -> [[UInt8]] in
            let taken = chunks
            chunks = []
            return taken
        }
        try write(taken)
        body.recycle(consume taken)
    }
}
