/// How `FileSealer` and `FileOpener` fail on their own account. Errors of the caller's byte
/// source, sink and fetcher, and `CancellationError`, pass through unchanged, so the caller
/// sees its own error. Messages name chunk positions and system errors, never content or keys.
public enum PipelineError: Error, Equatable, CustomStringConvertible {
    /// Sealing chunk `index` failed in the crypto layer (an OpenSSL failure).
    case sealingFailed(index: Int, reason: CryptoFormatError)
    /// The blob fetched for chunk `index` was refused: wrong id, version, tag, framing,
    /// padding, length or key commitment (`reason` says which).
    case chunkRejected(index: Int, reason: CryptoFormatError)
    /// The fetcher put more bytes for chunk `index` than the largest blob (`limit`).
    case blobTooLarge(index: Int, limit: Int)
    /// The chunk list cannot describe a file (docs/format.md, "Chunk reference": 1 ≤ length).
    case invalidManifest(String)
    /// A system call on the destination failed; `operation` names it (write, lseek, fstat,
    /// ftruncate), `detail` is strerror's text.
    case destinationFailed(operation: String, errno: Int32, detail: String)

    public var description: String {
        switch self {
        case .sealingFailed(let index, let reason): return "sealing chunk \(index) failed: \(reason)"
        case .chunkRejected(let index, let reason): return "chunk \(index) rejected: \(reason)"
        case .blobTooLarge(let index, let limit): return "blob of chunk \(index) is larger than \(limit) bytes"
        case .invalidManifest(let reason): return "invalid manifest: \(reason)"
        case .destinationFailed(let operation, let code, let detail):
            return "destination \(operation)(2) failed: errno \(code) (\(detail))"
        }
    }
}
