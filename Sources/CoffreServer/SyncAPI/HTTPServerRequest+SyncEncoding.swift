import CoffreProtocol
import HTTPServer
import HTTPTypes

/// Choosing between the JSON and the binary encodings of commits and changes pages
/// (docs/protocol.md, "Binary encodings"): the request's Content-Type says how a commit is
/// encoded, its Accept whether a binary page is wanted. JSON stays the default.
extension HTTPServerRequest {
    /// True when the body's Content-Type is `mediaType` (RFC 9110 §8.3.1: type and subtype
    /// compare case-insensitively; parameters after `;` are ignored).
    func bodyIs(_ mediaType: String) -> Bool {
        guard let value = headerFields[.contentType] else { return false }
        return Self.mediaType(of: Substring(value)) == mediaType
    }

    /// True when Accept lists `mediaType` with a non-zero weight (RFC 9110 §12.5.1: `q=0`
    /// means "not acceptable"). Wildcards do not select it: only a client that names the
    /// binary form gets it.
    func accepts(_ mediaType: String) -> Bool {
        for value in headerFields[values: .accept] {
            for range in value.split(separator: ",") where Self.mediaType(of: range) == mediaType {
                return Self.weightIsNonZero(range)
            }
        }
        return false
    }

    /// The lowercased `type/subtype` of a media type or media range, without parameters and
    /// surrounding whitespace (RFC 9110 §5.6.3, OWS).
    static func mediaType(of text: Substring) -> String {
        String(text.prefix { $0 != ";" }).trimmingWhitespace().lowercased()
    }

    /// False only for an explicit weight of zero (`q=0`, `q=0.0`, `q=0.000`, RFC 9110 §12.4.2).
    static func weightIsNonZero(_ range: Substring) -> Bool {
        for parameter in range.split(separator: ";").dropFirst() {
            let parts = parameter.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, String(parts[0]).trimmingWhitespace().lowercased() == "q" else { continue }
            let value = String(parts[1]).trimmingWhitespace()
            return !(value.first == "0" && value.dropFirst().allSatisfy { $0 == "." || $0 == "0" })
        }
        return true
    }

    /// Reads a binary commit body of at most `maxBytes` and decodes it under the store's limits.
    /// Bodies larger than one event-loop slice (64 KiB) are decoded on the blocking-work queue,
    /// as JSON bodies are.
    func decodeBinaryCommit(maxBytes: Int, limits: SyncLimits) async throws -> CommitRequest {
        let bytes = try await body.collect(upTo: maxBytes)
        let wireLimits = Self.wireLimits(limits)
        let decode: @Sendable () throws -> CommitRequest = { try CommitRequest(binary: bytes, limits: wireLimits) }
        return bytes.count <= 64 * 1024 ? try decode() : try await HTTPBlockingWork.run(decode)
    }

    /// Reads a commit carrying blobs (`CommitWithBlobs`): its commit part may take `maxBytes`,
    /// its blob records `CommitWithBlobs.maximumBlobBytes` more. Decoded as `decodeBinaryCommit` does.
    func decodeCommitWithBlobs(maxBytes: Int, limits: SyncLimits) async throws
        -> (blobRecords: ArraySlice<UInt8>, commit: CommitRequest)
    {
        let bytes = try await body.collect(upTo: maxBytes + 4 + CommitWithBlobs.maximumBlobBytes)
        let wireLimits = Self.wireLimits(limits)
        let decode: @Sendable () throws -> (blobRecords: ArraySlice<UInt8>, commit: CommitRequest) = {
            try CommitWithBlobs.decode(bytes, limits: wireLimits)
        }
        return bytes.count <= 64 * 1024 ? try decode() : try await HTTPBlockingWork.run(decode)
    }

    private static func wireLimits(_ limits: SyncLimits) -> BinaryWireLimits {
        BinaryWireLimits(
            maxEntries: limits.maxEntriesPerCommit, maxRecordBytes: limits.maxRecordBytes,
            maxBlobsPerEntry: limits.maxBlobsPerEntry, maxBlobsPerCommit: limits.maxBlobsPerCommit)
    }
}
