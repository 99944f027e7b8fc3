import COpenSSL

/// Owns one OpenSSL `BIO` used to move PEM text in and out of OpenSSL: a memory BIO or a file
/// opened for reading (BIO_s_mem(3), BIO_new_file(3)). Freed exactly once in `deinit`.
final class TLSBIO {
    let handle: OpaquePointer

    private init(adopting handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { BIO_free(handle) }

    /// An empty, growable memory BIO for PEM output.
    static func memory() throws(TLSError) -> TLSBIO {
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError.fromQueue("BIO_new") }
        return TLSBIO(adopting: bio)
    }

    /// A memory BIO holding a copy of `text` for PEM input.
    static func memory(holding text: String) throws(TLSError) -> TLSBIO {
        let bio = try memory()
        var bytes = Array(text.utf8)
        guard bytes.count <= TLSPEMFile.maximumSize else {
            throw .invalidArgument("PEM text larger than \(TLSPEMFile.maximumSize >> 20) MiB")
        }
        if bytes.isEmpty { return bio }
        var written = 0
        guard BIO_write_ex(bio.handle, &bytes, bytes.count, &written) == 1, written == bytes.count else {
            throw TLSError.fromQueue("BIO_write_ex")
        }
        return bio
    }

    /// The file at `path`, opened for reading; the caller has checked it with `TLSPEMFile`.
    static func reading(file path: String) throws(TLSError) -> TLSBIO {
        guard let bio = BIO_new_file(path, "r") else {
            throw .fileUnreadable(path: path, reason: TLSError.drainErrorQueue())
        }
        return TLSBIO(adopting: bio)
    }

    /// Everything written to this memory BIO so far, as text (PEM is ASCII).
    func readAll() throws(TLSError) -> String {
        let pending = BIO_ctrl_pending(handle)
        var bytes = [UInt8](repeating: 0, count: pending)
        var total = 0
        while total < pending {
            var count = 0
            let ok = bytes.withUnsafeMutableBytes { raw in
                BIO_read_ex(handle, raw.baseAddress! + total, pending - total, &count)
            }
            guard ok == 1, count > 0 else { throw TLSError.fromQueue("BIO_read_ex") }
            total += count
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
