import Dispatch
import Glibc

/// Name resolution for the client: getaddrinfo(3) runs on a Dispatch queue of its own (it may
/// block for seconds on DNS), never on an event loop or Swift's cooperative pool. IP literals
/// are converted in place (AI_NUMERICHOST never blocks).
enum HTTPClientResolver {
    /// One socket address to connect to.
    struct Address: Sendable {
        var storage: sockaddr_storage
        var length: socklen_t
        var family: Int32
    }

    private static let queue = DispatchQueue(label: "coffre.http.client.resolver", attributes: .concurrent)

    /// The TCP addresses of `host` (a name or an IP literal) and `port`, in the resolver's
    /// order (RFC 6724 preference, as glibc applies it).
    static func resolve(host: String, port: Int) async throws(HTTPClientError) -> [Address] {
        if TLSTransport.isIPAddress(host) { return try lookup(host: host, port: port, numericOnly: true) }
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<[Address], HTTPClientError>, Never>) in
            queue.async {
                continuation.resume(returning: Result { () throws(HTTPClientError) in
                    try lookup(host: host, port: port, numericOnly: false)
                })
            }
        }
        return try result.get()
    }

    /// getaddrinfo(3) for stream sockets; the list is copied and freed before returning.
    private static func lookup(host: String, port: Int, numericOnly: Bool) throws(HTTPClientError) -> [Address] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (numericOnly ? AI_NUMERICHOST : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            throw .resolutionFailed(host: host, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var addresses: [Address] = []
        var entry = list
        while let current = entry {
            let info = current.pointee
            if let address = info.ai_addr, info.ai_family == AF_INET || info.ai_family == AF_INET6,
                Int(info.ai_addrlen) <= MemoryLayout<sockaddr_storage>.size
            {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen)))
                }
                addresses.append(Address(storage: storage, length: info.ai_addrlen, family: info.ai_family))
            }
            entry = info.ai_next
        }
        guard !addresses.isEmpty else { throw .resolutionFailed(host: host, reason: "no IPv4 or IPv6 address") }
        return addresses
    }
}
