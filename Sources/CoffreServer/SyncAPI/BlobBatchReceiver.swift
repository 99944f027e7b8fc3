import CoffreProtocol
import Synchronization

/// Receives a blob-batch body (`BlobBatchFraming`): splits it into records as it arrives and
/// stages each blob in a `DiskBlobBatch`, which hashes it on the way in — or, for a blob within
/// `InlineLimits` (small enough, and the batch's budget of such bytes not spent), in memory, checked against its id when it ends, for the database (docs/storage-blobs.md,
/// "Two homes"). A record repeating an id already verified in this batch is skipped without
/// writing its bytes.
///
/// `consume` runs on the blocking-work queue, one call at a time (the route awaits each call
/// before it makes the next); the state is in a `Mutex` all the same.
final class BlobBatchReceiver: Sendable {
    /// What became of one record.
    enum Record: Sendable, Equatable {
        /// Hashes to its id and is staged.
        case verified(BlobID, size: Int64)
        /// Its id was verified earlier in the batch; its bytes were skipped.
        case repeated(BlobID)
        /// Does not hash to its id.
        case hashMismatch(BlobID)
    }

    /// Where the bytes of the record being received go.
    private enum Destination {
        /// Its id was verified earlier in the batch: nowhere.
        case skipped
        /// The batch's temp file.
        case file
        /// Memory, for the database.
        case memory([UInt8])
    }

    private struct State {
        var decoder: BlobBatchDecoder
        var records: [Record] = []
        var verified: Set<BlobID> = []
        /// The record being received and where its bytes go.
        var current: (id: BlobID, size: Int64, destination: Destination)?
        /// Verified blobs kept in memory, and their bytes in all.
        var inline: [BlobID: [UInt8]] = [:]
        var inlineBytes: Int64 = 0
    }

    /// The limits of the in-memory side.
    struct InlineLimits: Sendable {
        /// Largest blob kept in memory; 0 keeps none (not even empty ones).
        let maxBlobBytes: Int64
        /// Most bytes of such blobs kept in memory at once by one batch.
        let budget: Int64
    }

    private let batch: DiskBlobBatch
    private let inlineLimits: InlineLimits
    private let state: Mutex<State>

    /// A receiver staging into `batch` or, within `inline`, in memory, refusing more than
    /// `maxBlobs` records or a record longer than `maxBlobBytes`.
    init(batch: DiskBlobBatch, maxBlobs: Int, maxBlobBytes: Int64, inline: InlineLimits) {
        self.batch = batch
        self.inlineLimits = inline
        state = Mutex(State(decoder: BlobBatchDecoder(maxBlobs: maxBlobs, maxBlobBytes: maxBlobBytes)))
    }

    /// The verified blobs kept in memory, by id (each also a `verified` record).
    var inlineBlobs: [BlobID: [UInt8]] {
        state.withLock { $0.inline }
    }

    /// Feeds the next pieces of the body. Throws `BlobBatchFramingError` or `BlobStoreError`.
    func consume(_ pieces: [[UInt8]]) throws {
        let batch = self.batch
        let limits = inlineLimits
        try state.withLock { state in
            // The decoder is taken out while it runs: its events update the rest of the state.
            var decoder = state.decoder
            defer { state.decoder = decoder }
            for piece in pieces {
                try piece.withUnsafeBytes { bytes in
                    try decoder.feed(bytes) { event in try Self.handle(event, &state, batch, limits) }
                }
            }
        }
    }

    /// Checks that the body ended on a record boundary and returns every record in order.
    func finish() throws(BlobBatchFramingError) -> [Record] {
        try state.withLock { (state: inout State) throws(BlobBatchFramingError) -> [Record] in
            try state.decoder.finish()
            return state.records
        }
    }

    private static func handle(
        _ event: BlobBatchEvent, _ state: inout State, _ batch: DiskBlobBatch, _ limits: InlineLimits
    ) throws {
        switch event {
        case .begin(let id, let length):
            let destination: Destination
            if state.verified.contains(id) {
                destination = .skipped
            } else if limits.maxBlobBytes > 0 && length <= limits.maxBlobBytes && state.inlineBytes + length <= limits.budget {
                // The decoder bounds `length` by the batch's maxBlobBytes; this by the threshold.
                var bytes: [UInt8] = []
                bytes.reserveCapacity(Int(length))
                destination = .memory(bytes)
            } else {
                try batch.begin(id: id, size: length)
                destination = .file
            }
            state.current = (id, length, destination)
        case .bytes(let bytes):
            guard var current = state.current else { return }
            switch current.destination {
            case .skipped: break
            case .file: try batch.write(bytes)
            case .memory(let kept):
                // Both holders let go first, so the append grows the one buffer in place.
                state.current = nil
                current.destination = .skipped
                current.destination = .memory(appending(bytes, to: kept))
                state.current = current
            }
        case .end:
            guard let current = state.current else { return }
            state.current = nil
            switch current.destination {
            case .skipped:
                state.records.append(.repeated(current.id))
            case .file:
                if try batch.end() {
                    state.verified.insert(current.id)
                    state.records.append(.verified(current.id, size: current.size))
                } else {
                    state.records.append(.hashMismatch(current.id))
                }
            case .memory(let kept):
                if try matches(kept, current.id, size: current.size) {
                    state.verified.insert(current.id)
                    state.inline[current.id] = kept
                    state.inlineBytes += current.size
                    state.records.append(.verified(current.id, size: current.size))
                } else {
                    state.records.append(.hashMismatch(current.id))
                }
            }
        }
    }

    /// `bytes` with `more` appended (in place when `bytes` is the only reference).
    private static func appending(_ more: UnsafeRawBufferPointer, to bytes: consuming [UInt8]) -> [UInt8] {
        var grown = bytes
        grown.append(contentsOf: more)
        return grown
    }

    /// Whether a blob received in memory has its announced size and hashes to its id.
    private static func matches(_ bytes: [UInt8], _ id: BlobID, size: Int64) throws(BlobStoreError) -> Bool {
        guard Int64(bytes.count) == size else { throw .sizeMismatch(expected: size, actual: Int64(bytes.count)) }
        do throws(BlobStoreError) {
            try id.check(bytes)
            return true
        } catch {
            if case .hashMismatch = error { return false }
            throw error
        }
    }
}
