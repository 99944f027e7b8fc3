import CoffreCrypto
import CoffreProtocol
import Synchronization

/// An upload into a `DiskBlobStore`: bytes go to a temp file in `tmp/` and through SHA-256 as
/// they arrive, in one pass, so commit can verify the id without reading anything back.
///
/// A large upload (`Configuration.directWriteMinimumSize`) is written with direct I/O through a
/// `DirectUploadWriter`; the others through the page cache, with writeback started as they grow
/// (`StreamingWriteback`).
final class DiskBlobUpload: FillableBlobUpload {
    private struct State {
        /// The open temp file; nil once the upload is closed (committed, aborted or failed).
        var file: FileDescriptor?
        let hasher: SHA256
        var written: Int64 = 0
        /// Set when the temp file is written with direct I/O.
        let direct: DirectUploadWriter?
        var writeback = StreamingWriteback()
        /// Byte count at which a stream of unknown size next checks the free space.
        var nextSpaceCheck: Int64
    }

    /// How often an upload of unknown size re-checks free space against the reserve.
    static let spaceCheckInterval: Int64 = 16 << 20

    private let store: DiskBlobStore
    private let namespace: BlobNamespace
    private let id: BlobID
    private let expectedSize: Int64?
    private let tempName: String
    private let state: Mutex<State>

    init(
        store: DiskBlobStore, namespace: BlobNamespace, id: BlobID, expectedSize: Int64?, tempName: String,
        file: FileDescriptor, hasher: sending SHA256, direct: sending DirectUploadWriter?
    ) {
        self.store = store
        self.namespace = namespace
        self.id = id
        self.expectedSize = expectedSize
        self.tempName = tempName
        state = Mutex(State(file: file, hasher: hasher, direct: direct, nextSpaceCheck: Self.spaceCheckInterval))
    }

    /// An upload dropped without commit or abort removes its temp file.
    deinit {
        state.withLock { discard(&$0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(BlobStoreError) {
        try receive(bytes) { (state: inout State, file: FileDescriptor, total: Int64) throws(BlobStoreError) in
            if let direct = state.direct {
                try direct.append(bytes, to: file)
            } else {
                try file.writeAll(bytes, operation: "write an upload file")
                try state.writeback.wrote(upTo: total, in: file, operation: "start writing an upload file")
            }
        }
    }

    func fillBuffers() throws(BlobStoreError) -> [BlobFillBuffer]? {
        try state.withLock { (state: inout State) throws(BlobStoreError) -> [BlobFillBuffer]? in
            guard state.file != nil else { throw .uploadClosed }
            guard let direct = state.direct else { return nil }
            return try direct.fillBuffers().map { BlobFillBuffer(memory: $0) }
        }
    }

    func writeFilled(_ buffer: BlobFillBuffer, count: Int, last: Bool) throws(BlobStoreError) {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer.memory[0..<count])
        try receive(bytes) { (state: inout State, file: FileDescriptor, _: Int64) throws(BlobStoreError) in
            guard let direct = state.direct else { throw .io(operation: "write an upload file", detail: "no fill buffers") }
            try direct.writeFilled(bytes, last: last, to: file)
        }
    }

    /// The part of `write` and `writeFilled` around storing: the limits, the hash and the
    /// count; `put` puts the bytes in the file. After any error the upload is closed.
    private func receive(
        _ bytes: UnsafeRawBufferPointer, storing put: (inout State, FileDescriptor, Int64) throws(BlobStoreError) -> Void
    ) throws(BlobStoreError) {
        try state.withLock { (state: inout State) throws(BlobStoreError) in
            guard let file = state.file else { throw .uploadClosed }
            do throws(BlobStoreError) {
                let total = state.written + Int64(bytes.count)
                guard total <= store.configuration.maxBlobSize else { throw .tooLarge(limit: store.configuration.maxBlobSize) }
                if let expectedSize {
                    // More than announced: fail now rather than store bytes commit would reject.
                    guard total <= expectedSize else { throw .sizeMismatch(expected: expectedSize, actual: total) }
                } else if total >= state.nextSpaceCheck {
                    try store.checkFreeSpace(forMore: 0)
                    state.nextSpaceCheck = total + Self.spaceCheckInterval
                }
                try put(&state, file, total)
                do throws(CryptoError) { try state.hasher.update(bytes) } catch {
                    throw .io(operation: "SHA-256 update", detail: error.description)
                }
                state.written = total
            } catch {
                discard(&state)
                throw error
            }
        }
    }

    func commit() throws(BlobStoreError) -> BlobInfo {
        try state.withLock { (state: inout State) throws(BlobStoreError) -> BlobInfo in
            guard let file = state.file else { throw .uploadClosed }
            do throws(BlobStoreError) {
                if let expectedSize, state.written != expectedSize {
                    throw .sizeMismatch(expected: expectedSize, actual: state.written)
                }
                let digest: [UInt8]
                do throws(CryptoError) { digest = try state.hasher.finalize() } catch {
                    throw .io(operation: "SHA-256 final", detail: error.description)
                }
                // Verify before anything is published (DESIGN §1, principle 2). The id is public,
                // so a plain comparison leaks nothing.
                guard digest == id.bytes else { throw .hashMismatch }
                try state.direct?.finish(file)
                let info = try store.publish(tempName: tempName, file: file, namespace: namespace, id: id, size: state.written)
                state.file = nil
                return info
            } catch {
                discard(&state)
                throw error
            }
        }
    }

    func abort() {
        state.withLock { discard(&$0) }
    }

    /// Closes the upload and removes its temp file if it is still open. Errors are ignored on
    /// purpose: this runs from abort and deinit, which cannot throw, and a file it fails to
    /// remove is removed by the next start's sweep of tmp/.
    private func discard(_ state: inout State) {
        guard state.file != nil else { return }
        state.file = nil
        _ = try? store.tempDirectory.removeEntry(tempName, operation: "remove an upload file")
    }
}
