/// Settings of a `DAVServer`.
public struct DAVServerConfiguration: Sendable {
    /// Required credentials; nil serves without authentication (tests, trusted setups).
    public var credentials: DAVCredentials?
    /// Largest XML request body (PROPFIND, PROPPATCH, LOCK), in bytes.
    public var maximumXMLBytes: Int = 1 << 20
    /// Largest PUT body, in bytes (the body is streamed to the storage, never held whole).
    public var maximumResourceBytes: Int64 = 1 << 40
    /// Limits of the XML parser.
    public var xmlLimits = DAVXMLParser.Limits()

    /// A configuration; without credentials unless given.
    public init(credentials: DAVCredentials? = nil) {
        self.credentials = credentials
        xmlLimits.maximumBytes = maximumXMLBytes
    }
}
