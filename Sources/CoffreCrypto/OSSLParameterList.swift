import COpenSSL
import Glibc

/// Builds an `OSSL_PARAM` array (OSSL_PARAM(3)) whose names and values stay alive as long as
/// this object does.
///
/// `OSSL_PARAM_construct_*` stores the pointers it is given; Swift's implicit string and array
/// bridging only lives for one call, so every name and value is copied here into memory owned by
/// the list. Octet values are wiped on release since they are often keys or passwords.
final class OSSLParameterList {
    private var allocations: [(pointer: UnsafeMutableRawPointer, count: Int)] = []
    private var parameters: [OSSL_PARAM] = []

    deinit {
        for allocation in allocations {
            OPENSSL_cleanse(allocation.pointer, allocation.count)
            allocation.pointer.deallocate()
        }
    }

    private func copy(_ bytes: UnsafeRawBufferPointer, extraZero: Bool = false) -> UnsafeMutableRawPointer {
        let count = bytes.count + (extraZero ? 1 : 0)
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
        if let base = bytes.baseAddress, bytes.count > 0 { pointer.copyMemory(from: base, byteCount: bytes.count) }
        allocations.append((pointer, max(count, 1)))
        return pointer
    }

    private func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(text.utf8)
        return utf8.withUnsafeBytes { copy($0, extraZero: true) }.assumingMemoryBound(to: CChar.self)
    }

    /// Adds a UTF-8 string parameter.
    func addUTF8(_ name: String, _ value: String) {
        let key = cString(name)
        let data = cString(value)
        parameters.append(OSSL_PARAM_construct_utf8_string(key, data, 0))
    }

    /// Adds an octet-string parameter (copied; wiped when the list is released).
    func addOctets(_ name: String, _ value: UnsafeRawBufferPointer) {
        let key = cString(name)
        let data = copy(value)
        parameters.append(OSSL_PARAM_construct_octet_string(key, data, value.count))
    }

    /// Adds an unsigned 64-bit integer parameter.
    func addUInt64(_ name: String, _ value: UInt64) {
        let key = cString(name)
        let data = withUnsafeBytes(of: value) { copy($0) }.assumingMemoryBound(to: UInt64.self)
        parameters.append(OSSL_PARAM_construct_uint64(key, data))
    }

    /// Adds an unsigned 32-bit integer parameter.
    func addUInt32(_ name: String, _ value: UInt32) {
        let key = cString(name)
        let data = withUnsafeBytes(of: value) { copy($0) }.assumingMemoryBound(to: UInt32.self)
        parameters.append(OSSL_PARAM_construct_uint32(key, data))
    }

    /// Calls `body` with the terminated parameter array.
    func withParameters<R, E: Error>(_ body: (UnsafePointer<OSSL_PARAM>) throws(E) -> R) throws(E) -> R {
        var terminated = parameters
        terminated.append(OSSL_PARAM_construct_end())
        var result: Result<R, E>!
        terminated.withUnsafeBufferPointer { buffer in
            do throws(E) { result = .success(try body(buffer.baseAddress!)) } catch { result = .failure(error) }
        }
        return try result.get()
    }
}
