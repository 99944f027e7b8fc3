import COpenSSL

/// Owns the process-wide `BIO_METHOD` that lets OpenSSL read and write a `TLSSocketIO`
/// (BIO_meth_new(3)), and makes the per-session BIOs from it.
///
/// OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE when the peer has gone;
/// this one uses send(2) with MSG_NOSIGNAL, so TLS needs no process-wide signal setting.
final class TLSSocketBIOMethod: @unchecked Sendable {
    // @unchecked Sendable: the BIO_METHOD is filled in once in init and only read afterwards;
    // OpenSSL reads a BIO_METHOD from any thread without locking.

    /// The single instance, or the error that prevented making it.
    static let shared: Result<TLSSocketBIOMethod, TLSError> = Result { () throws(TLSError) in
        try TLSSocketBIOMethod()
    }

    private let handle: OpaquePointer

    private init() throws(TLSError) {
        let type = BIO_get_new_index()
        guard type != -1, let method = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK, "coffre socket") else {
            throw TLSError.fromQueue("BIO_meth_new")
        }
        handle = method
        guard BIO_meth_set_write_ex(handle, Self.write) == 1,
            BIO_meth_set_read_ex(handle, Self.read) == 1,
            BIO_meth_set_ctrl(handle, Self.control) == 1
        else {
            throw TLSError.fromQueue("BIO_meth_set")
        }
    }

    deinit { BIO_meth_free(handle) }

    /// A new BIO on `io`. `io` must stay alive as long as the BIO: its owner frees the SSL (and
    /// with it the BIO) before releasing `io`.
    func makeBIO(on io: TLSSocketIO) throws(TLSError) -> OpaquePointer {
        guard let bio = BIO_new(handle) else { throw TLSError.fromQueue("BIO_new") }
        BIO_set_data(bio, Unmanaged.passUnretained(io).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    private static func io(of bio: OpaquePointer) -> TLSSocketIO? {
        guard let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<TLSSocketIO>.fromOpaque(data).takeUnretainedValue()
    }

    /// bwrite for BIO_meth_set_write_ex(3): 1 with `written` set, or 0 with the retry flags set
    /// when the socket is full (BIO_should_retry(3)).
    private static let write: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<Int>?)
        -> Int32 = { bio, bytes, count, written in
            guard let bio, let bytes, let written, let io = TLSSocketBIOMethod.io(of: bio) else { return 0 }
            BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
            switch io.send(bytes, count: count) {
            case .transferred(let sent):
                written.pointee = sent
                return 1
            case .wouldBlock:
                BIO_set_flags(bio, BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY)
                return 0
            case .endOfStream, .failed:
                return 0
            }
        }

    /// bread for BIO_meth_set_read_ex(3): 1 with `received` set, 0 with the retry flags set when
    /// nothing is there yet, 0 without them at end of stream or on an error.
    private static let read: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutablePointer<Int>?)
        -> Int32 = { bio, bytes, count, received in
            guard let bio, let bytes, let received, let io = TLSSocketBIOMethod.io(of: bio) else { return 0 }
            BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
            switch io.receive(into: bytes, count: count) {
            case .transferred(let count):
                received.pointee = count
                return 1
            case .wouldBlock:
                BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY)
                return 0
            case .endOfStream, .failed:
                return 0
            }
        }

    /// ctrl for BIO_meth_set_ctrl(3). OpenSSL's record layer asks for BIO_CTRL_FLUSH (nothing is
    /// buffered here: 1) and BIO_CTRL_EOF (true once recv returned 0, which OpenSSL reports as
    /// "unexpected eof while reading"); every other request is unsupported (0).
    private static let control: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int = {
        bio, command, _, _ in
        switch command {
        case BIO_CTRL_FLUSH: return 1
        case BIO_CTRL_EOF:
            guard let bio, let io = TLSSocketBIOMethod.io(of: bio) else { return 0 }
            return io.reachedEndOfStream ? 1 : 0
        default: return 0
        }
    }
}
