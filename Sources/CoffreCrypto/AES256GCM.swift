import CAES256GCM
import COpenSSL
import Glibc

/// AES-256-GCM (NIST SP 800-38D) with a 12-byte nonce and a 16-byte tag, run by the vector code
/// of `CAES256GCM` when the CPU has VAES and VPCLMULQDQ, else by one OpenSSL `EVP_CIPHER_CTX`
/// (`Implementation`); both give the same bytes.
///
/// The key is set once; each message then runs either one-shot (`seal` / `open` over buffers) or
/// streaming (`beginSealing`/`beginOpening`, any number of `update`, then `finishSealing` /
/// `finishOpening`). Input and output may be the same memory (in-place), never partly
/// overlapping. Output goes straight into the caller's buffer: nothing is copied.
///
/// A nonce must never repeat under one key (SP 800-38D §8). Not thread-safe: one instance per
/// thread.
public final class AES256GCM {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    /// Which code runs the cipher. Both give the same bytes (the tests compare them).
    public enum Implementation: Sendable, Equatable {
        /// `CAES256GCM`: 16 blocks per step on VAES / VPCLMULQDQ / AVX-512, about twice
        /// OpenSSL 3.0's speed on this machine (docs/performance.md).
        case vectorAES
        /// OpenSSL's EVP interface.
        case openSSL

        /// The vector code when this CPU has it, unless the environment variable
        /// `COFFRE_AES_GCM=openssl` asks for OpenSSL (benchmarks use it as their baseline).
        public static let preferred: Implementation = {
            guard vectorAESAvailable else { return .openSSL }
            if let value = getenv("COFFRE_AES_GCM"), String(cString: value) == "openssl" { return .openSSL }
            return .vectorAES
        }()

        /// Whether this CPU can run `vectorAES`. Asked once: CPUID traps to the hypervisor in
        /// a virtual machine, and every key set up checks it (4 % of the WebDAV gateway's
        /// samples per small PUT when it was asked each time, docs/performance.md).
        public static let vectorAESAvailable: Bool = coffre_aes256gcm_available() == 1
    }

    private enum State { case idle, sealing, opening }

    /// The one C handle this instance owns: an OpenSSL context or the vector code's state
    /// (key schedule and hash key powers, wiped before it is freed).
    private enum Engine {
        case openSSL(OpaquePointer)
        case vectorAES(UnsafeMutablePointer<coffre_aes256gcm>)
    }

    private let engine: Engine
    private var state = State.idle

    /// The implementation this instance runs.
    public var implementation: Implementation {
        switch engine {
        case .openSSL: .openSSL
        case .vectorAES: .vectorAES
        }
    }

    /// Prepares a cipher under `key` (32 bytes), run by `implementation` (`vectorAES` falls
    /// back to OpenSSL on a CPU without it).
    public init(key: some RandomAccessCollection<UInt8>, implementation: Implementation = .preferred) throws(CryptoError) {
        if implementation == .vectorAES && Implementation.vectorAESAvailable {
            let vector = UnsafeMutablePointer<coffre_aes256gcm>.allocate(capacity: 1)
            coffre_aes256gcm_wipe(vector)
            engine = .vectorAES(vector)
        } else {
            let algorithm = try FetchedAlgorithms.require(FetchedAlgorithms.shared.aes256GCM, "AES-256-GCM")
            guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.fromQueue("EVP_CIPHER_CTX_new") }
            engine = .openSSL(ctx)
            // EVP_EncryptInit(3): the cipher is chosen once; the direction is chosen per message by
            // the init calls in begin*.
            guard EVP_CipherInit_ex(ctx, algorithm, nil, nil, nil, 1) == 1 else {
                throw CryptoError.fromQueue("EVP_CipherInit_ex(aes-256-gcm)")
            }
        }
        try rekey(key)
    }

    deinit {
        switch engine {
        case .openSSL(let context):
            EVP_CIPHER_CTX_free(context)
        case .vectorAES(let vector):
            coffre_aes256gcm_wipe(vector)
            vector.deallocate()
        }
    }

    /// Replaces the key (32 bytes) in the same context, ending any message in progress: one
    /// context serves many keys, with no allocation or algorithm fetch per key.
    public func rekey(_ key: some RandomAccessCollection<UInt8>) throws(CryptoError) {
        state = .idle
        try ByteAccess.with(key, count: Self.keyByteCount, what: "AES-256-GCM key") { (k: UnsafeRawBufferPointer) throws(CryptoError) -> Void in
            let keyBytes = k.baseAddress!.assumingMemoryBound(to: UInt8.self)
            switch engine {
            case .openSSL(let context):
                // EVP_EncryptInit(3): NULL cipher keeps the cipher, enc -1 keeps the direction; the
                // key is kept in the context.
                guard EVP_CipherInit_ex(context, nil, nil, keyBytes, nil, -1) == 1 else {
                    throw CryptoError.fromQueue("EVP_CipherInit_ex(key)")
                }
            case .vectorAES(let vector):
                coffre_aes256gcm_set_key(vector, keyBytes)
            }
        }
    }

    // MARK: Streaming

    /// Starts encrypting one message under `nonce` (12 bytes) with associated data `aad`.
    public func beginSealing(nonce: some RandomAccessCollection<UInt8>, aad: UnsafeRawBufferPointer) throws(CryptoError) {
        try begin(encrypting: true, nonce: nonce, aad: aad)
        state = .sealing
    }

    /// Starts decrypting one message under `nonce` (12 bytes) with associated data `aad`.
    public func beginOpening(nonce: some RandomAccessCollection<UInt8>, aad: UnsafeRawBufferPointer) throws(CryptoError) {
        try begin(encrypting: false, nonce: nonce, aad: aad)
        state = .opening
    }

    /// Encrypts or decrypts `input` into `output` (same length; may be the same memory).
    /// Decrypted bytes are unauthenticated until `finishOpening` returns.
    public func update(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        guard state != .idle else { throw CryptoError.misuse("update before begin") }
        guard output.count == input.count else {
            throw CryptoError.invalidLength(what: "AES-GCM output buffer", expected: input.count, actual: output.count)
        }
        guard input.count > 0 else { return }
        let inBytes = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let outBytes = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        switch engine {
        case .vectorAES(let vector):
            // SP 800-38D §5.2.1.1 caps a message at 2^36 - 32 bytes; the C code refuses more.
            guard coffre_aes256gcm_update(vector, inBytes, outBytes, input.count) == 1 else {
                state = .idle
                throw CryptoError.invalidLength(what: "AES-GCM message (at most 2^36 - 32 bytes)", expected: 0, actual: input.count)
            }
        case .openSSL(let context):
            var offset = 0
            // EVP_CipherUpdate takes an int length: feed large buffers in pieces.
            while offset < input.count {
                let piece = min(input.count - offset, 1 << 30)
                var written: Int32 = 0
                let ok = EVP_CipherUpdate(context, outBytes + offset, &written, inBytes + offset, Int32(piece))
                // GCM is a stream mode: OpenSSL writes exactly as many bytes as it reads.
                guard ok == 1, Int(written) == piece else {
                    state = .idle
                    throw CryptoError.fromQueue("EVP_CipherUpdate")
                }
                offset += piece
            }
        }
    }

    /// Ends encryption and writes the 16-byte tag into `tag`.
    public func finishSealing(tag: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        guard state == .sealing else { throw CryptoError.misuse("finishSealing without beginSealing") }
        state = .idle
        guard tag.count == Self.tagByteCount else {
            throw CryptoError.invalidLength(what: "AES-GCM tag", expected: Self.tagByteCount, actual: tag.count)
        }
        switch engine {
        case .vectorAES(let vector):
            coffre_aes256gcm_finish(vector, tag.baseAddress!.assumingMemoryBound(to: UInt8.self))
        case .openSSL(let context):
            guard Self.finalUpdate(context) == 0 else { throw CryptoError.fromQueue("EVP_EncryptFinal_ex") }
            // EVP_EncryptInit(3), "GCM and OCB Modes": EVP_CTRL_AEAD_GET_TAG after Final.
            guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(Self.tagByteCount), tag.baseAddress) == 1 else {
                throw CryptoError.fromQueue("EVP_CTRL_AEAD_GET_TAG")
            }
        }
    }

    /// Ends decryption: checks `tag` (16 bytes) and throws `CryptoError.authenticationFailed` when
    /// it does not match. The caller must then discard everything `update` produced.
    public func finishOpening(tag: UnsafeRawBufferPointer) throws(CryptoError) {
        guard state == .opening else { throw CryptoError.misuse("finishOpening without beginOpening") }
        state = .idle
        guard tag.count == Self.tagByteCount else {
            throw CryptoError.invalidLength(what: "AES-GCM tag", expected: Self.tagByteCount, actual: tag.count)
        }
        switch engine {
        case .vectorAES(let vector):
            var computed = (UInt64(0), UInt64(0))
            let matches = withUnsafeMutableBytes(of: &computed) { block in
                coffre_aes256gcm_finish(vector, block.baseAddress!.assumingMemoryBound(to: UInt8.self))
                // SP 800-38D §7.2 step 8; compared in constant time.
                return ConstantTime.equals(UnsafeRawBufferPointer(block), tag)
            }
            guard matches else { throw CryptoError.authenticationFailed }
        case .openSSL(let context):
            // EVP_EncryptInit(3): set the expected tag before EVP_DecryptFinal_ex, which compares it.
            guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(Self.tagByteCount), UnsafeMutableRawPointer(mutating: tag.baseAddress)) == 1 else {
                throw CryptoError.fromQueue("EVP_CTRL_AEAD_SET_TAG")
            }
            guard Self.finalUpdate(context) != nil else {
                // A failed tag check is the only way DecryptFinal fails for GCM once set up.
                CryptoError.drainQueue()
                throw CryptoError.authenticationFailed
            }
        }
    }

    /// EVP_CipherFinal_ex into a stack scratch block (GCM writes nothing there); the count it
    /// wrote, or nil when it failed.
    private static func finalUpdate(_ context: OpaquePointer) -> Int32? {
        var scratch: (UInt64, UInt64) = (0, 0)
        var written: Int32 = 0
        let ok = withUnsafeMutableBytes(of: &scratch) { block in
            EVP_CipherFinal_ex(context, block.baseAddress!.assumingMemoryBound(to: UInt8.self), &written)
        }
        return ok == 1 ? written : nil
    }

    private func begin(encrypting: Bool, nonce: some RandomAccessCollection<UInt8>, aad: UnsafeRawBufferPointer) throws(CryptoError) {
        state = .idle
        try ByteAccess.with(nonce, count: Self.nonceByteCount, what: "AES-GCM nonce") { (n: UnsafeRawBufferPointer) throws(CryptoError) -> Void in
            let nonceBytes = n.baseAddress!.assumingMemoryBound(to: UInt8.self)
            switch engine {
            case .vectorAES(let vector):
                coffre_aes256gcm_begin(vector, nonceBytes, aad.baseAddress?.assumingMemoryBound(to: UInt8.self), aad.count, encrypting ? 1 : 0)
            case .openSSL(let context):
                try Self.beginOpenSSL(context, encrypting: encrypting, nonce: nonceBytes, aad: aad)
            }
        }
    }

    private static func beginOpenSSL(
        _ context: OpaquePointer, encrypting: Bool, nonce: UnsafePointer<UInt8>, aad: UnsafeRawBufferPointer
    ) throws(CryptoError) {
        // The default GCM IV length is 12 bytes (EVP_EncryptInit(3)), so no IVLEN ctrl is needed.
        guard EVP_CipherInit_ex(context, nil, nil, nil, nonce, encrypting ? 1 : 0) == 1 else {
            throw CryptoError.fromQueue("EVP_CipherInit_ex(nonce)")
        }
        var offset = 0
        while offset < aad.count {
            let piece = min(aad.count - offset, 1 << 30)
            var written: Int32 = 0
            // EVP_EncryptInit(3): AAD is passed by an update with a NULL output buffer.
            guard EVP_CipherUpdate(context, nil, &written, aad.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self), Int32(piece)) == 1 else {
                throw CryptoError.fromQueue("EVP_CipherUpdate(aad)")
            }
            offset += piece
        }
    }
}
