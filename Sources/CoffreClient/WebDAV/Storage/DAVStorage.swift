/// Where a WebDAV server keeps its resources. `DAVServer` speaks the protocol; a storage only
/// keeps content, collections and dead properties, and makes conditional writes atomic.
///
/// Every method throws `DAVError`: `.notFound` for a missing resource, `.conflict` when the
/// parent collection is missing or is not a collection, `.alreadyExists` when a target exists
/// and may not be replaced, `.preconditionFailed` when a write condition does not hold,
/// `.insufficientStorage` past a limit, `.storage` for a failure of the medium.
///
/// Paths are validated `DAVPath` values. Implementations must be safe to call concurrently.
public protocol DAVStorage: Sendable {
    /// The resource at `path` (with its dead properties when `withProperties`), nil when absent.
    func info(at path: DAVPath, withProperties: Bool) async throws -> DAVResourceInfo?

    /// The members of the collection at `path`, in name order (with their dead properties when
    /// `withProperties`). Throws `.notFound` when missing, `.conflict` for a non-collection.
    func children(of path: DAVPath, withProperties: Bool) async throws -> [DAVResourceInfo]

    /// The bytes of the resource at `path` within `range` (all of it when nil), to be streamed.
    func read(_ path: DAVPath, range: ClosedRange<Int64>?) async throws -> DAVContent

    /// The resource at `path` with all of its content (empty for a collection), nil when
    /// absent: what GET needs, in one call for storages that can stat and open in one step.
    /// The default asks `info` and `read`.
    func readWithInfo(_ path: DAVPath) async throws -> (info: DAVResourceInfo, content: DAVContent)?

    /// Replaces or creates the resource at `path` with the bytes of `body`, consumed as they
    /// arrive (never buffered whole by a real storage). `condition` is checked atomically with
    /// the replacement: a writer that lost a race gets `.preconditionFailed`, never a silent
    /// overwrite. Dead properties of a replaced resource are kept.
    func write<Body: AsyncSequence & Sendable>(
        _ path: DAVPath, body: Body, condition: DAVWriteCondition
    ) async throws -> DAVWriteResult where Body.Element == [UInt8]

    /// Creates an empty collection; `.alreadyExists` when anything is at `path`.
    func makeCollection(at path: DAVPath) async throws

    /// Removes the resource at `path`, with all members of a collection.
    func delete(_ path: DAVPath) async throws

    /// Moves the resource (and its members, and dead properties) to `destination`, replacing
    /// what is there only when `overwrite`. Returns true when something was replaced.
    func move(from source: DAVPath, to destination: DAVPath, overwrite: Bool) async throws -> Bool

    /// Copies the resource and its dead properties to `destination` (with its members when
    /// `recursive`, else an empty collection), replacing what is there only when `overwrite`.
    /// Returns true when something was replaced.
    func copy(from source: DAVPath, to destination: DAVPath, overwrite: Bool, recursive: Bool) async throws -> Bool

    /// Applies every change of `changes` in order, or none of them (RFC 4918 §9.2: PROPPATCH
    /// is atomic); `.insufficientStorage` when the result would pass `DAVPropertyLimits`.
    func updateProperties(of path: DAVPath, _ changes: [DAVPropertyChange]) async throws
}

extension DAVStorage {
    /// `info`, then `read` of the whole content (none for a collection).
    public func readWithInfo(_ path: DAVPath) async throws -> (info: DAVResourceInfo, content: DAVContent)? {
        guard let info = try await info(at: path, withProperties: false) else { return nil }
        return (info, info.isCollection ? .bytes([]) : try await read(path, range: nil))
    }
}

/// A condition on the current state of a resource, checked atomically with a write
/// (RFC 9110 §13.1.1 If-Match, §13.1.2 If-None-Match).
public enum DAVWriteCondition: Sendable, Equatable {
    /// Write whatever is there.
    case always
    /// Only when the resource exists (`If-Match: *`).
    case exists
    /// Only when nothing is at the path (`If-None-Match: *`).
    case absent
    /// Only when the resource exists with one of these entity tags (strong comparison).
    case etagMatches([String])
    /// Only when the resource is absent or its entity tag is none of these.
    case etagDiffers([String])

    /// Whether the condition holds for a resource whose current tag is `etag` (nil: absent).
    public func holds(currentETag etag: String?) -> Bool {
        switch self {
        case .always: true
        case .exists: etag != nil
        case .absent: etag == nil
        case .etagMatches(let tags): etag.map { tags.contains($0) } ?? false
        case .etagDiffers(let tags): etag.map { !tags.contains($0) } ?? true
        }
    }
}

/// The outcome of a write.
public struct DAVWriteResult: Sendable, Equatable {
    /// The new entity tag (opaque, without quotes).
    public var etag: String
    /// True when the resource did not exist before (201), false when replaced (204).
    public var created: Bool

    /// A result.
    public init(etag: String, created: Bool) {
        self.etag = etag
        self.created = created
    }
}
