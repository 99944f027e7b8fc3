/// A user's export as a tar (ustar) stream, written file by file to a sink as it is built, so
/// an export of any size is never held in memory whole.
///
/// The account services add `coffre-export/account.json`, `devices.json` and `audit.json`;
/// `AccountExportContributor`s add their own files after them (the sync engine: the user's
/// vaults and blobs). Paths are relative, `[A-Za-z0-9._-]` components, each added once.
///
/// Used by one task at a time, in order; not `Sendable`.
public final class AccountExportArchive {
    /// Folder every path of the archive lives in.
    public static let rootFolder = "coffre-export"

    private let sink: @Sendable ([UInt8]) async throws -> Void
    private let modificationTime: Int64
    private var paths: Set<String> = []
    private var finished = false

    /// An archive writing to `sink`; every file gets `modificationTime` (Unix seconds).
    public init(modificationTime: Int64, sink: @escaping @Sendable ([UInt8]) async throws -> Void) {
        self.modificationTime = modificationTime
        self.sink = sink
    }

    /// Adds a file held in memory, at `coffre-export/<path>`.
    public func addFile(path: String, contents: [UInt8]) async throws {
        try await addFile(path: path, size: Int64(contents.count)) { write in try await write(contents) }
    }

    /// Adds a file of exactly `size` bytes produced by `produce`, which calls `write` with
    /// consecutive pieces. Writing more or fewer bytes than `size` is an error (the archive is
    /// then unusable, and the stream should be abandoned).
    public func addFile(
        path: String, size: Int64, produce: (_ write: ([UInt8]) async throws -> Void) async throws -> Void
    ) async throws {
        guard !finished else { throw APIError(statusCode: 500, code: .internalError, message: "export already finished") }
        let fullPath = Self.rootFolder + "/" + path
        let header = try TarHeader(path: fullPath, size: size, modificationTime: modificationTime)
        guard paths.insert(fullPath).inserted else {
            throw APIError(statusCode: 500, code: .internalError, message: "export path added twice")
        }
        try await sink(try header.encoded())
        var written: Int64 = 0
        let sink = self.sink
        try await produce { piece in
            guard Int64(piece.count) <= size - written else {
                throw APIError(statusCode: 500, code: .internalError, message: "export file longer than announced")
            }
            written += Int64(piece.count)
            if !piece.isEmpty { try await sink(piece) }
        }
        guard written == size else {
            throw APIError(statusCode: 500, code: .internalError, message: "export file shorter than announced")
        }
        let padding = TarHeader.padding(after: size)
        if !padding.isEmpty { try await sink(padding) }
    }

    /// Writes the end-of-archive marker; nothing can be added afterwards.
    func finish() async throws {
        guard !finished else { return }
        finished = true
        try await sink(TarHeader.endOfArchive)
    }
}
