import CoffreProtocol
import HTTPServer

extension BlobLayer {
    /// Body bytes produced by one blocking read of a blob-fetch answer.
    static let fetchPieceBytes = 256 << 10

    /// The answer body of a blob fetch of `ids` in `vault` by `user` (a reader, checked before
    /// anything is sent, as for one blob's GET): `BlobBatchFraming` records, a piece at a time
    /// (`BlobFetchStream`), each piece read in one `HTTPBlockingWork.run` and written before the
    /// next is read.
    func fetch(_ ids: [BlobID], in vault: VaultID, user: Int64) async throws -> HTTPResponseBody {
        guard ids.count <= BlobFetchRequest.maxIDs else {
            throw SyncError.invalidRequest("at most \(BlobFetchRequest.maxIDs) ids per fetch")
        }
        try await readers.checkMember(user, of: vault)
        let start = BlobFetchStream(
            disk: disk, namespace: try Self.namespace(vault), ids: ids, maxBytes: BlobFetchRequest.maxResponseBytes)
        return .stream(length: nil) { writer in
            var stream = start
            while true {
                let before = stream
                let (piece, advanced) = try await Self.blocking { () throws(BlobStoreError) in
                    var moving = before
                    let piece = try moving.nextPiece(pieceBytes: Self.fetchPieceBytes)
                    return (piece, moving)
                }
                guard let piece else { return }
                stream = advanced
                try await writer.write(piece)
            }
        }
    }
}
