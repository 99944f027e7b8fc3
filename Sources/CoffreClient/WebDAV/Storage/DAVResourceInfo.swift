import HTTPServer

/// What a storage knows about one resource: the source of the live properties (RFC 4918 §15)
/// and, when asked for, its dead properties.
public struct DAVResourceInfo: Sendable {
    /// Where the resource is.
    public var path: DAVPath
    /// True for a collection.
    public var isCollection: Bool
    /// Length of the content in bytes (0 for a collection).
    public var contentLength: Int64
    /// Media type of the content (`DAVContentType.forName`), nil for a collection.
    public var contentType: String?
    /// Opaque entity tag, without quotes; changes whenever the content changes. Nil when the
    /// storage has none (collections may have none).
    public var etag: String?
    /// Last content change, seconds since the epoch.
    public var lastModified: Int64
    /// Creation, seconds since the epoch.
    public var creationDate: Int64
    /// Dead properties, when they were asked for; nil otherwise.
    public var deadProperties: [DAVPropertyName: DAVPropertyValue]?

    /// A resource description.
    public init(
        path: DAVPath, isCollection: Bool, contentLength: Int64, contentType: String?, etag: String?, lastModified: Int64,
        creationDate: Int64, deadProperties: [DAVPropertyName: DAVPropertyValue]? = nil
    ) {
        self.path = path
        self.isCollection = isCollection
        self.contentLength = contentLength
        self.contentType = contentType
        self.etag = etag
        self.lastModified = lastModified
        self.creationDate = creationDate
        self.deadProperties = deadProperties
    }
}

/// The content of a read, in the form the storage can hand over most cheaply.
public enum DAVContent: Sendable {
    /// Bytes in memory.
    case bytes([UInt8])
    /// A region of an open file (sent with sendfile(2) on plain connections).
    case file(HTTPFileRegion)
    /// Bytes produced on demand: `produce` calls `emit` with each piece in order, suspending
    /// while the client is behind; `length` is the exact total.
    case stream(length: Int64, produce: @Sendable (_ emit: @Sendable ([UInt8]) async throws -> Void) async throws -> Void)
}
