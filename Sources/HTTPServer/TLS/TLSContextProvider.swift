import Synchronization

/// Holds the server's current `TLSContext` and replaces it when the certificate is renewed.
///
/// `coffred` calls `reload()` on SIGHUP. New connections get the context current when they are
/// accepted; existing connections keep the one they started with (each `TLSTransport` holds its
/// context). A reload that fails leaves the previous context in service.
public final class TLSContextProvider: Sendable {
    /// The PEM certificate chain file read on each (re)load.
    public let certificateChainFile: String
    /// The PEM private key file read on each (re)load.
    public let privateKeyFile: String

    private let current: Mutex<TLSContext>

    /// Loads the certificate chain and key; throws if they are missing, malformed or mismatched.
    public init(certificateChainFile: String, privateKeyFile: String) throws(TLSError) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        current = Mutex(
            try TLSContext.server(certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile))
    }

    /// The context new connections use now.
    public var context: TLSContext {
        current.withLock { $0 }
    }

    /// Reads both files again and, only if they load and match, swaps the new context in. The
    /// new context is built outside the lock, so accepting connections never waits on disk.
    public func reload() throws(TLSError) {
        let fresh = try TLSContext.server(certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile)
        current.withLock { $0 = fresh }
    }

    /// A factory for the HTTP server's configuration (`transportFactory`): each accepted socket
    /// becomes a server-side TLS session on the context current at that moment.
    public var transportFactory: @Sendable (Int32) throws -> any ConnectionTransport {
        { [self] fileDescriptor in try TLSTransport(acceptingOn: fileDescriptor, context: context) }
    }
}
