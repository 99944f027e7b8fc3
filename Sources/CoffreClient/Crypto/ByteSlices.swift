/// Typed-throws access to the contiguous bytes of arrays and array slices.
enum ByteSlices {
    /// Calls `body` with the bytes of `bytes` in place.
    static func read<C: RandomAccessCollection<UInt8>, R, E: Error>(
        _ bytes: C, _ body: (UnsafeRawBufferPointer) throws(E) -> R
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

    /// Calls `body` with the mutable bytes of `array` in place.
    static func write<R, E: Error>(_ array: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = array.withUnsafeMutableBytes { raw in
            do throws(E) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
