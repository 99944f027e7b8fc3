import CoffreCrypto
import CoffreProtocol
import Foundation
import HTTPServer
import HTTPTypes

/// Blobs: upload (streamed, with 100-continue), download (streamed, whole or into a buffer), the missing
/// query, batches up and down.
extension SyncAPIClient {
    /// Uploads a blob held in memory; true when the server did not have it yet.
    @discardableResult
    public func putBlob(_ vault: VaultID, _ id: BlobID, bytes: [UInt8]) async throws(APIClientError) -> Bool {
        try await putBlob(vault, id, body: .bytes(bytes))
    }

    /// Uploads a blob of `size` bytes written by `producer` (back-pressure: each write waits
    /// while the socket is behind). `Expect: 100-continue` is sent, so a refusal (quota, size,
    /// access) arrives before any byte of the body is sent. True when the blob was new.
    @discardableResult
    public func putBlob(
        _ vault: VaultID, _ id: BlobID, size: Int64, producer: @escaping @Sendable (HTTPClientBodyWriter) async throws -> Void
    ) async throws(APIClientError) -> Bool {
        try await putBlob(vault, id, body: .stream(length: size, producer: producer))
    }

    private func putBlob(_ vault: VaultID, _ id: BlobID, body: HTTPClientRequestBody) async throws(APIClientError) -> Bool {
        var outgoing = request(.put, SyncPath.blob(vault, id), body: body, contentType: "application/octet-stream")
        outgoing.expectContinue = true
        let answer = try await read(try await send(outgoing))
        switch answer.status {
        case 201: return true
        case 204: return false
        default: throw CoffreAPI.refusal(answer)
        }
    }

    /// Downloads a whole blob into memory (at most `maxBytes`) and checks that it hashes to `id`.
    public func blob(_ vault: VaultID, _ id: BlobID, maxBytes: Int = 64 << 20) async throws(APIClientError) -> [UInt8] {
        let response = try await send(request(.get, SyncPath.blob(vault, id)))
        guard response.status.code == 200 else { throw CoffreAPI.refusal(try await read(response)) }
        let bytes: [UInt8]
        do { bytes = try await response.body.collect(upTo: maxBytes) } catch { throw transportError(error) }
        guard Self.sha256(bytes) == id.bytes else {
            throw .badResponse(status: 200, reason: "the blob's bytes do not match its id")
        }
        return bytes
    }

    /// Streams a blob (or the byte range `range` of it) to `sink` as it arrives; the caller
    /// verifies the content (`FileOpener` does). Returns the status, 200 or 206.
    @discardableResult
    public func blob(
        _ vault: VaultID, _ id: BlobID, range: ClosedRange<Int64>? = nil, to sink: ([UInt8]) async throws -> Void
    ) async throws(APIClientError) -> Int {
        var outgoing = request(.get, SyncPath.blob(vault, id))
        if let range { outgoing.headerFields[.range] = "bytes=\(range.lowerBound)-\(range.upperBound)" }
        let response = try await send(outgoing)
        guard [200, 206].contains(response.status.code) else { throw CoffreAPI.refusal(try await read(response)) }
        do {
            for try await chunk in response.body { try await sink(chunk) }
        } catch let error as HTTPClientError {
            throw transportError(error)
        } catch {
            throw .badResponse(status: response.status.code, reason: "the download's consumer failed")
        }
        return response.status.code
    }

    /// Downloads a blob straight into `buffer`'s free space, read from the socket with no
    /// array in between; the caller verifies the content. Throws `APIClientError`, or
    /// `PipelineError.blobTooLarge` (before reading the body when its Content-Length says so,
    /// the connection then closed rather than drained) for a blob larger than that space.
    public func blob(_ vault: VaultID, _ id: BlobID, into buffer: inout BlobFetchBuffer) async throws {
        let response = try await send(request(.get, SyncPath.blob(vault, id)))
        guard response.status.code == 200 else { throw CoffreAPI.refusal(try await read(response)) }
        let tooLarge = PipelineError.blobTooLarge(index: buffer.chunkIndex, limit: buffer.capacity)
        if let length = response.body.expectedLength, length > Int64(buffer.capacity - buffer.count) { throw tooLarge }
        let body = response.body
        func receive(into space: UnsafeMutableRawBufferPointer) async throws(APIClientError) -> Int {
            do { return try await body.read(into: space) } catch { throw transportError(error) }
        }
        while buffer.count < buffer.capacity {
            if try await buffer.append(receive) == 0 { return }
        }
        // Full: the body must end here.
        let probe = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
        defer { probe.deallocate() }
        guard try await receive(into: probe) == 0 else { throw tooLarge }
    }

    /// The size of a stored blob (HEAD), or nil when the vault does not hold it.
    public func blobSize(_ vault: VaultID, _ id: BlobID) async throws(APIClientError) -> Int64? {
        let answer = try await read(try await send(request(.head, SyncPath.blob(vault, id))))
        switch answer.status {
        case 200:
            guard let text = answer.headerField("Content-Length"), let size = Int64(text), size >= 0 else {
                throw .badResponse(status: 200, reason: "no Content-Length")
            }
            return size
        case 404: return nil
        default: throw .badResponse(status: answer.status, reason: "unexpected status")
        }
    }

    /// Which of `ids` the vault lacks (at most 10,000 per call), each once, in request order.
    public func missingBlobs(_ vault: VaultID, _ ids: [BlobID]) async throws(APIClientError) -> [BlobID] {
        let answer: MissingBlobsResponse = try await call(.post, SyncPath.missingBlobs(vault), json: MissingBlobsRequest(ids: ids))
        return answer.missing
    }

    /// Fetches many blobs in one request (`POST …/blob-fetch`): at most
    /// `BlobFetchRequest.maxIDs` ids, blob `i` at most `capacities[i]` bytes. Answers the blobs
    /// of a prefix of `ids`, in order, at least one (the server stops at
    /// `BlobFetchRequest.maxResponseBytes`; ask again for the rest). The bytes are not
    /// verified: the caller checks that each hashes to its id.
    public func fetchBlobs(_ vault: VaultID, _ ids: [BlobID], capacities: [Int]) async throws(APIClientError) -> [FetchedBlob] {
        guard !ids.isEmpty else { return [] }
        let body: [UInt8]
        do { body = Array(try JSONEncoder().encode(BlobFetchRequest(ids: ids))) } catch {
            throw .badResponse(status: 0, reason: "the request could not be encoded")
        }
        let response = try await send(request(.post, SyncPath.blobFetch(vault), body: .bytes(body), contentType: "application/json"))
        guard response.status.code == 200 else { throw CoffreAPI.refusal(try await read(response)) }
        var answer = BlobFetchAnswer(ids: ids, capacities: capacities)
        do {
            for try await piece in response.body { try answer.feed(piece) }
        } catch let error as HTTPClientError {
            throw transportError(error)
        } catch let error as APIClientError {
            throw error
        } catch {
            throw .badResponse(status: 200, reason: "blob fetch: the answer could not be read")
        }
        return try answer.finish()
    }

    /// Bytes of batch records gathered into one write of a batch body.
    static let batchRunBytes = 64 << 10

    /// Uploads many small blobs in one request (`BlobBatchFraming`); what became of each. The
    /// body is streamed: a large blob from its own array, so a batch of chunks is never copied
    /// into one body array.
    public func uploadBatch(_ vault: VaultID, _ blobs: [(id: BlobID, bytes: [UInt8])]) async throws(APIClientError)
        -> BlobBatchResult
    {
        var headers: [[UInt8]] = []
        headers.reserveCapacity(blobs.count)
        for blob in blobs {
            guard let length = UInt32(exactly: blob.bytes.count) else {
                throw .badResponse(status: 0, reason: "a blob of a batch is larger than 4 GiB")
            }
            headers.append(BlobBatchFraming.header(id: blob.id, length: length))
        }
        let length = Int64(BlobBatchFraming.bodyLength(blobSizes: blobs.map(\.bytes.count)))
        let body = HTTPClientRequestBody.stream(length: length) { [headers] writer in
            // Headers and small blobs are gathered into runs of up to `batchRunBytes` (one
            // write each); a larger blob is written from its own array.
            var run: [UInt8] = []
            for (header, blob) in zip(headers, blobs) {
                run += header
                if blob.bytes.count < Self.batchRunBytes {
                    run += blob.bytes
                    if run.count < Self.batchRunBytes { continue }
                    try await writer.write(run)
                } else {
                    try await writer.write(run)
                    try await writer.write(blob.bytes)
                }
                run = []
            }
            try await writer.write(run)
        }
        var outgoing = request(.post, SyncPath.blobBatch(vault), body: body, contentType: BlobBatchFraming.contentType)
        outgoing.expectContinue = true
        let answer = try await read(try await send(outgoing))
        guard answer.status == 200 else { throw CoffreAPI.refusal(answer) }
        return try Self.decode(BlobBatchResult.self, from: answer.body, status: 200)
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8]? {
        try? SHA256.hash(bytes)
    }
}
