import COpenSSL

/// Key material that is wiped with `OPENSSL_cleanse` when the last reference goes away.
///
/// The bytes live in one heap allocation that is never copied by the type itself; read them in
/// place with `withUnsafeBytes`, or iterate (it is a `RandomAccessCollection` of `UInt8`, and
/// `withContiguousStorageIfAvailable` hands out the same storage, so the wrappers of this module
/// never copy it). Comparison (`==`) is constant-time.
///
/// `@unchecked Sendable`: the storage is written only inside an initializer, before the instance
/// is shared, and is read-only for the rest of its life; `deinit` runs when no reference is left.
public final class SecretBytes: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer

    /// Number of bytes held.
    public let count: Int

    /// Allocates `count` bytes and lets `initializer` write every one of them. If the initializer
    /// throws, the partly written bytes are wiped before the error propagates.
    public init<E: Error>(
        count: Int, initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        precondition(count >= 0, "SecretBytes count must not be negative")
        // One byte minimum so the base address is never nil, even for an empty secret.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(count, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        do throws(E) {
            try initializer(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
        } catch {
            OPENSSL_cleanse(buffer.baseAddress, buffer.count)
            buffer.deallocate()
            throw error
        }
        storage = buffer
        self.count = count
    }

    /// Copies `bytes` into a new secret. The caller remains responsible for wiping its own copy.
    public convenience init(copying bytes: some Collection<UInt8>) {
        self.init(count: bytes.count) { (out: UnsafeMutableRawBufferPointer) -> Void in
            _ = out.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    /// `count` bytes from OpenSSL's CSPRNG (`RAND_bytes`).
    public convenience init(randomCount count: Int) throws(CryptoError) {
        try self.init(count: count) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) -> Void in
            try SecureRandom.fill(out)
        }
    }

    deinit {
        // OPENSSL_cleanse(3): overwrites memory in a way the compiler cannot elide.
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }

    /// Reads the bytes in place. The pointer must not escape `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }
}

extension SecretBytes: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < count, "SecretBytes index out of range")
        return storage[position]
    }

    public func withContiguousStorageIfAvailable<R>(
        _ body: (UnsafeBufferPointer<UInt8>) throws -> R
    ) rethrows -> R? {
        try body(UnsafeBufferPointer(rebasing: storage.bindMemory(to: UInt8.self)[0..<count]))
    }
}

extension SecretBytes: Equatable {
    /// Constant-time equality of the contents (`CRYPTO_memcmp`).
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        ConstantTime.equals(lhs, rhs)
    }
}

extension SecretBytes: CustomStringConvertible {
    /// Never shows the contents.
    public var description: String { "SecretBytes(\(count) bytes)" }
}

extension SecretBytes {
    /// Overwrites the bytes of `array` with zeros in a way the compiler cannot elide
    /// (OPENSSL_cleanse(3)). Copies the array made earlier (growth, copy-on-write) are out of
    /// reach: reserve capacity up front for buffers that will hold secrets.
    public static func wipe(_ array: inout [UInt8]) {
        array.withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress { OPENSSL_cleanse(base, raw.count) }
        }
    }
}
