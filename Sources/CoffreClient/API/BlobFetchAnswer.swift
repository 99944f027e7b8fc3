import CoffreProtocol

/// One blob of a blob-fetch answer, as the client found it.
public enum FetchedBlob: Sendable, Equatable {
    /// The record's bytes, not verified yet (the caller checks they hash to the id).
    case bytes([UInt8])
    /// A record of length 0 for an id that is not the empty blob's: the vault does not hold it.
    case absent
    /// The record is longer than the caller allowed for that blob; its bytes were dropped.
    case tooLarge(limit: Int)
}

/// Reads a blob-fetch answer (`BlobFetchRequest`: `BlobBatchFraming` records for a prefix of
/// the ids asked for, in order) as it arrives, holding each blob only up to its capacity.
/// Everything the server sends is checked: a record for an id not asked for at its place,
/// more records than ids, a body cut inside a record or holding no record at all is a bad
/// response, never a blob.
struct BlobFetchAnswer {
    private let ids: [BlobID]
    private let capacities: [Int]
    private var decoder: BlobBatchDecoder
    private(set) var blobs: [FetchedBlob] = []
    /// The record being read: its bytes so far, nil when they are being dropped.
    private var current: [UInt8]?
    private var currentLength = 0

    /// The SHA-256 of no bytes, the one id a record of length 0 can be the blob of.
    static let emptyBlobID = BlobID(bytes: SyncAPIClient.sha256([]) ?? [])

    /// An answer to a fetch of `ids`, blob `i` holding at most `capacities[i]` bytes.
    init(ids: [BlobID], capacities: [Int]) {
        precondition(ids.count == capacities.count, "one capacity per id")
        self.ids = ids
        self.capacities = capacities
        decoder = BlobBatchDecoder(maxBlobs: ids.count, maxBlobBytes: Int64(UInt32.max))
    }

    /// Feeds the next piece of the body.
    mutating func feed(_ piece: [UInt8]) throws(APIClientError) {
        // The decoder is taken out while it runs: its events change the rest of `self`.
        var decoder = self.decoder
        defer { self.decoder = decoder }
        do {
            try piece.withUnsafeBytes { raw in
                try decoder.feed(raw) { event in try handle(event) }
            }
        } catch let error as APIClientError {
            throw error
        } catch let error as BlobBatchFramingError {
            throw Self.bad(error == .tooManyBlobs(limit: ids.count) ? "more records than ids asked for" : "\(error)")
        } catch {
            throw Self.bad("the answer could not be read")
        }
    }

    /// The blobs of the answer, for `ids.prefix(count)`, once the body has ended.
    func finish() throws(APIClientError) -> [FetchedBlob] {
        do { try decoder.finish() } catch { throw Self.bad("the answer ends inside a record") }
        guard !blobs.isEmpty || ids.isEmpty else { throw Self.bad("the answer holds no record") }
        return blobs
    }

    private mutating func handle(_ event: BlobBatchEvent) throws(APIClientError) {
        switch event {
        case .begin(let id, let length):
            let index = blobs.count
            guard id == ids[index] else { throw Self.bad("a record is not for the id asked for at its place") }
            currentLength = Int(length)
            current = length <= Int64(capacities[index]) ? [] : nil
            current?.reserveCapacity(currentLength)
        case .bytes(let bytes):
            current?.append(contentsOf: bytes)
        case .end:
            let index = blobs.count
            if let bytes = current {
                blobs.append(bytes.isEmpty && ids[index] != Self.emptyBlobID ? .absent : .bytes(bytes))
            } else {
                blobs.append(.tooLarge(limit: capacities[index]))
            }
            current = nil
        }
    }

    private static func bad(_ reason: String) -> APIClientError {
        .badResponse(status: 200, reason: "blob fetch: " + reason)
    }
}
