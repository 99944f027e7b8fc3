import CoffreProtocol
import Synchronization

/// Receives a blob-batch body (`BlobBatchFraming`): splits it into records as it arrives and
/// stages each blob in a `DiskBlobBatch`, which hashes it on the way in. A record repeating an
/// id already verified in this batch is skipped without writing its bytes.
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

    private struct State {
        var decoder: BlobBatchDecoder
        var records: [Record] = []
        var verified: Set<BlobID> = []
        /// The record being received, and whether its bytes are skipped.
        var current: (id: BlobID, size: Int64, skipping: Bool)?
    }

    private let batch: DiskBlobBatch
    private let state: Mutex<State>

    /// A receiver staging into `batch`, refusing more than `maxBlobs` records or a record longer
    /// than `maxBlobBytes`.
    init(batch: DiskBlobBatch, maxBlobs: Int, maxBlobBytes: Int64) {
        self.batch = batch
        state = Mutex(State(decoder: BlobBatchDecoder(maxBlobs: maxBlobs, maxBlobBytes: maxBlobBytes)))
    }

    /// Feeds the next pieces of the body. Throws `BlobBatchFramingError` or `BlobStoreError`.
    func consume(_ pieces: [[UInt8]]) throws {
        let batch = self.batch
        try state.withLock { state in
            // The decoder is taken out while it runs: its events update the rest of the state.
            var decoder = state.decoder
            defer { state.decoder = decoder }
            for piece in pieces {
                try piece.withUnsafeBytes { bytes in
                    try decoder.feed(bytes) { event in try Self.handle(event, &state, batch) }
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

    private static func handle(_ event: BlobBatchEvent, _ state: inout State, _ batch: DiskBlobBatch) throws {
        switch event {
        case .begin(let id, let length):
            let skipping = state.verified.contains(id)
            if !skipping { try batch.begin(id: id, size: length) }
            state.current = (id, length, skipping)
        case .bytes(let bytes):
            guard let current = state.current else { return }
            if !current.skipping { try batch.write(bytes) }
        case .end:
            guard let current = state.current else { return }
            state.current = nil
            if current.skipping {
                state.records.append(.repeated(current.id))
            } else if try batch.end() {
                state.verified.insert(current.id)
                state.records.append(.verified(current.id, size: current.size))
            } else {
                state.records.append(.hashMismatch(current.id))
            }
        }
    }
}
