import CoffreCrypto
import Glibc
import HTTPServer
import Synchronization

/// A `DAVStorage` over a local folder: collections are directories, resources regular files,
/// dead properties small side files in a hidden `.coffre-dav-props` folder next to them.
/// For trying clients against real files and for measuring the protocol layer's own speed.
///
/// Every file-system call runs through `HTTPBlockingWork.run`, off the event loop. Names that
/// start with `.coffre-dav` are reserved (hidden from listings, refused as targets); symlinks
/// are never followed (hidden from listings, and refused inside a path). A write streams into
/// a temporary file beside its target and is renamed over it, so readers see the old or the
/// new content, never a mix; the rename and the condition check run under one lock of this
/// storage (and `If-None-Match: *` uses renameat2(RENAME_NOREPLACE), atomic against any
/// writer). Nothing is fsynced: this storage is not the vault.
public final class DirectoryDAVStorage: DAVStorage {
    /// Prefix of the names this storage keeps for itself.
    static let reservedPrefix = ".coffre-dav"
    /// The side folder of dead properties inside each directory.
    static let propertiesFolder = ".coffre-dav-props"
    /// The side file name for the root's own properties.
    static let rootPropertiesName = ".coffre-dav-root"
    /// Most entries listed in one collection.
    static let maximumEntries = 1_000_000
    /// Bytes gathered from the request body before each write(2).
    static let writeBatchBytes = 1 << 20

    /// The served folder.
    let root: LocalFileDescriptor
    /// Serializes commits (rename with condition check, property updates, moves, copies).
    let commitLock = Mutex<UInt64>(0)
    /// A random tag for temporary names of this instance.
    let instanceTag: String

    /// Serves the existing folder at `path`.
    public init(path: String) throws(DAVError) {
        let (fd, code) = retryingOnInterrupt { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw Self.systemError("open root folder", code) }
        root = LocalFileDescriptor(adopting: fd)
        let random: [UInt8]
        do { random = try SecureRandom.bytes(count: 6) } catch { throw .storage("random source failed") }
        instanceTag = random.map { String($0, radix: 16) }.joined()
    }

    public func info(at path: DAVPath, withProperties: Bool) async throws -> DAVResourceInfo? {
        try await HTTPBlockingWork.run { [self] in try infoNow(path, withProperties: withProperties) }
    }

    public func children(of path: DAVPath, withProperties: Bool) async throws -> [DAVResourceInfo] {
        try await HTTPBlockingWork.run { [self] in try childrenNow(path, withProperties: withProperties) }
    }

    public func read(_ path: DAVPath, range: ClosedRange<Int64>?) async throws -> DAVContent {
        try await HTTPBlockingWork.run { [self] in try readNow(path, range: range) }
    }

    public func readWithInfo(_ path: DAVPath) async throws -> (info: DAVResourceInfo, content: DAVContent)? {
        try await HTTPBlockingWork.run { [self] in try readWithInfoNow(path) }
    }

    public func write<Body: AsyncSequence & Sendable>(
        _ path: DAVPath, body: Body, condition: DAVWriteCondition
    ) async throws -> DAVWriteResult where Body.Element == [UInt8] {
        let upload = try await HTTPBlockingWork.run { [self] in try beginUpload(path, condition: condition) }
        do {
            var batch: [UInt8] = []
            for try await chunk in body {
                batch.append(contentsOf: chunk)
                if batch.count >= Self.writeBatchBytes {
                    let bytes = batch
                    try await HTTPBlockingWork.run { try Self.writeAll(bytes, to: upload.file) }
                    batch.removeAll(keepingCapacity: true)
                }
            }
            let rest = batch
            return try await HTTPBlockingWork.run { [self] in
                try Self.writeAll(rest, to: upload.file)
                return try commitUpload(upload, path: path, condition: condition)
            }
        } catch {
            _ = await (try? HTTPBlockingWork.run { upload.discard() })
            throw error
        }
    }

    public func makeCollection(at path: DAVPath) async throws {
        try await HTTPBlockingWork.run { [self] in try makeCollectionNow(path) }
    }

    public func delete(_ path: DAVPath) async throws {
        try await HTTPBlockingWork.run { [self] in try commitLock.withLock { _ in try deleteNow(path) } }
    }

    public func move(from source: DAVPath, to destination: DAVPath, overwrite: Bool) async throws -> Bool {
        try await HTTPBlockingWork.run { [self] in try commitLock.withLock { _ in try transferNow(source, destination, overwrite: overwrite, move: true, recursive: true) } }
    }

    public func copy(from source: DAVPath, to destination: DAVPath, overwrite: Bool, recursive: Bool) async throws -> Bool {
        try await HTTPBlockingWork.run { [self] in
            try commitLock.withLock { _ in try transferNow(source, destination, overwrite: overwrite, move: false, recursive: recursive) }
        }
    }

    public func updateProperties(of path: DAVPath, _ changes: [DAVPropertyChange]) async throws {
        try await HTTPBlockingWork.run { [self] in
            try commitLock.withLock { _ in
                guard try infoNow(path, withProperties: false) != nil else { throw DAVError.notFound }
                let current = try readProperties(of: path)
                try writeProperties(try DAVPropertyLimits.applying(changes, to: current), of: path)
            }
        }
    }

    /// `.storage` with the operation and the system's text for `code` (never a path).
    static func systemError(_ operation: String, _ code: Int32) -> DAVError {
        .storage("\(operation): \(String(cString: strerror(code))) (errno \(code))")
    }
}
