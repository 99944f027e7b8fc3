/// Reads a byte collection in place when its storage is contiguous (arrays, slices of arrays,
/// `SecretBytes`), and through one temporary copy otherwise.
public enum ByteAccess {
    /// Calls `body` with the bytes of `bytes`, in place when contiguous.
    public static func with<R, E: Error>(
        _ bytes: some RandomAccessCollection<UInt8>, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        var result: Result<R, E>?
        _ = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(E) { result = .success(try body(UnsafeRawBufferPointer(buffer))) } catch { result = .failure(error) }
        }
        if result == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { raw in
                do throws(E) { result = .success(try body(raw)) } catch { result = .failure(error) }
            }
        }
        return try result!.get()
    }

    /// Like `with(_:_:)` but checks the length first.
    static func with<R>(
        _ bytes: some RandomAccessCollection<UInt8>, count: Int, what: String,
        _ body: (UnsafeRawBufferPointer) throws(CryptoError) -> R
    ) throws(CryptoError) -> R {
        guard bytes.count == count else { throw CryptoError.invalidLength(what: what, expected: count, actual: bytes.count) }
        return try with(bytes, body)
    }
}

extension ByteAccess {
    /// `Array.withUnsafeMutableBytes` with a typed error.
    public static func withMutable<R, E: Error>(
        _ array: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let result: Result<R, E> = array.withUnsafeMutableBytes { raw in
            do throws(E) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
