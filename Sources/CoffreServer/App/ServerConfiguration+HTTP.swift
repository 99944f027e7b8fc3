import HTTPServer

extension ServerConfiguration {
    /// The HTTP server settings these values describe (TLS is added by the application).
    var httpServerConfiguration: HTTPServerConfiguration {
        var result = HTTPServerConfiguration(host: listen.bindHost, port: listen.port)
        if http.eventLoops > 0 { result.eventLoopCount = http.eventLoops }
        result.logClientAddresses = logClientAddresses
        // One line per request is useful when debugging and noise (and I/O) otherwise.
        result.accessLogLevel = .debug
        var limits = HTTPLimits()
        limits.maxConnections = http.maxConnections
        limits.maxRequestHeadBytes = http.maxHeaderBytes
        limits.maxHeaderCount = http.maxHeaderCount
        limits.maxURILength = http.maxURILength
        limits.maxRequestBodyBytes = Int64(http.maxRequestBodyBytes)
        limits.headerReadTimeout = .milliseconds(Int64(http.headerReadTimeoutSeconds * 1000))
        limits.keepAliveIdleTimeout = .milliseconds(Int64(http.idleTimeoutSeconds * 1000))
        limits.bodyReadIdleTimeout = .milliseconds(Int64(http.bodyReadTimeoutSeconds * 1000))
        limits.writeProgressTimeout = .milliseconds(Int64(http.bodyReadTimeoutSeconds * 1000))
        result.limits = limits
        return result
    }
}
