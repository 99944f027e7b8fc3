import COpenSSL
import Glibc

/// Makes self-signed EC P-256 server certificates through OpenSSL's C API, for tests and for a
/// server's development mode, and computes certificate fingerprints.
public enum TLSCertificateGenerator {
    /// Most names one certificate may carry.
    public static let maximumNameCount = 100
    /// Longest validity accepted, in days.
    public static let maximumValidityDays = 3650

    /// A new key pair and a self-signed X.509 v3 certificate for it: subject alternative names
    /// for `dnsNames` and `ipAddresses` (RFC 5280 §4.2.1.6), valid from one hour ago (clock skew)
    /// for `validityDays` days, signed with ECDSA-SHA256, marked as a TLS server leaf (not a CA).
    /// Throws `.invalidArgument` for a malformed name or address, no names, or a bad validity.
    public static func selfSigned(
        dnsNames: [String], ipAddresses: [String] = [], validityDays: Int = 365
    ) throws(TLSError) -> TLSGeneratedCertificate {
        guard !dnsNames.isEmpty || !ipAddresses.isEmpty else {
            throw .invalidArgument("a certificate needs at least one DNS name or IP address")
        }
        guard dnsNames.count + ipAddresses.count <= maximumNameCount else {
            throw .invalidArgument("a certificate may carry at most \(maximumNameCount) names")
        }
        guard (1...maximumValidityDays).contains(validityDays) else {
            throw .invalidArgument("validity must be 1 to \(maximumValidityDays) days")
        }
        for name in dnsNames where !isValidDNSName(name) {
            throw .invalidArgument("not a valid DNS name for a certificate: \(name)")
        }
        for address in ipAddresses where !TLSTransport.isIPAddress(address) {
            throw .invalidArgument("not a valid IP address: \(address)")
        }

        let key = try TLSPrivateKey.generateP256()
        let certificate = try TLSCertificate.empty()
        let x509 = certificate.handle
        guard X509_set_version(x509, Int(X509_VERSION_3)) == 1 else { throw TLSError.fromQueue("X509_set_version") }
        try setRandomSerial(x509)
        guard X509_gmtime_adj(X509_getm_notBefore(x509), -3600) != nil,
            X509_time_adj_ex(X509_getm_notAfter(x509), Int32(validityDays), 0, nil) != nil
        else { throw TLSError.fromQueue("X509_time_adj") }
        // Self-signed: subject and issuer are the same name.
        guard let name = X509_get_subject_name(x509),
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "Coffre self-signed", -1, -1, 0) == 1,
            X509_set_issuer_name(x509, name) == 1
        else { throw TLSError.fromQueue("X509_NAME_add_entry_by_txt") }
        guard X509_set_pubkey(x509, key.handle) == 1 else { throw TLSError.fromQueue("X509_set_pubkey") }
        try addExtensions(to: x509)
        try addSubjectAlternativeNames(dnsNames: dnsNames, ipAddresses: ipAddresses, to: x509)
        guard X509_sign(x509, key.handle, EVP_sha256()) > 0 else { throw TLSError.fromQueue("X509_sign") }

        return TLSGeneratedCertificate(
            certificatePEM: try certificate.pem(), privateKeyPEM: try key.pem(),
            fingerprintSHA256: try certificate.fingerprintSHA256())
    }

    /// SHA-256 over the DER encoding of the first certificate in `pem`: the value to pin, and
    /// what `openssl x509 -noout -fingerprint -sha256` prints. Throws `.invalidCertificate`.
    public static func fingerprintSHA256(ofPEM pem: String) throws(TLSError) -> [UInt8] {
        try TLSCertificate.parse(pem: pem).fingerprintSHA256()
    }

    /// A host name in preferred name syntax (RFC 1123 §2.1, RFC 5280 §4.2.1.6): at most 253
    /// bytes, labels of 1 to 63 letters, digits and inner hyphens; a first label of "*" followed
    /// by at least two labels is a wildcard (RFC 6125 §6.4.3).
    static func isValidDNSName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if index == 0, labels.count > 2, label.elementsEqual([UInt8(ascii: "*")]) { continue }
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                label.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        return true
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// A random positive 63-bit serial number (RFC 5280 §4.1.2.2: unique per issuer, positive).
    private static func setRandomSerial(_ x509: OpaquePointer) throws(TLSError) {
        var random: UInt64 = 0
        guard withUnsafeMutableBytes(of: &random, { RAND_bytes($0.baseAddress, Int32($0.count)) }) == 1 else {
            throw TLSError.fromQueue("RAND_bytes")
        }
        guard let serial = X509_get_serialNumber(x509), ASN1_INTEGER_set_uint64(serial, random >> 1 | 1) == 1 else {
            throw TLSError.fromQueue("ASN1_INTEGER_set_uint64")
        }
    }

    /// basicConstraints CA:FALSE, keyUsage digitalSignature (ECDHE signing), extendedKeyUsage
    /// serverAuth, and a subject key identifier (RFC 5280 §4.2.1), from fixed texts
    /// (X509V3_EXT_conf_nid(3)).
    private static func addExtensions(to x509: OpaquePointer) throws(TLSError) {
        var v3 = X509V3_CTX()
        X509V3_set_ctx(&v3, x509, x509, nil, nil, 0)
        let extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,digitalSignature"),
            (NID_ext_key_usage, "serverAuth"),
            (NID_subject_key_identifier, "hash"),
        ]
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &v3, nid, value) else {
                throw TLSError.fromQueue("X509V3_EXT_conf_nid")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw TLSError.fromQueue("X509_add_ext") }
        }
    }

    /// subjectAltName with one dNSName or iPAddress entry per name, built as ASN.1 values (never
    /// from a configuration string, so a name cannot inject other entries).
    private static func addSubjectAlternativeNames(
        dnsNames: [String], ipAddresses: [String], to x509: OpaquePointer
    ) throws(TLSError) {
        guard let names = OPENSSL_sk_new_null() else { throw TLSError.fromQueue("OPENSSL_sk_new_null") }
        // GENERAL_NAMES_free(3) frees the stack and every name pushed onto it.
        defer { GENERAL_NAMES_free(names) }
        for name in dnsNames {
            guard let text = ASN1_IA5STRING_new() else { throw TLSError.fromQueue("ASN1_IA5STRING_new") }
            guard ASN1_STRING_set(text, name, Int32(name.utf8.count)) == 1 else {
                ASN1_IA5STRING_free(text)
                throw TLSError.fromQueue("ASN1_STRING_set")
            }
            try push(type: GEN_DNS, value: UnsafeMutableRawPointer(text), onto: names)
        }
        for address in ipAddresses {
            // a2i_IPADDRESS(3) encodes "192.0.2.1" or "2001:db8::1" as 4 or 16 octets.
            guard let octets = a2i_IPADDRESS(address) else { throw TLSError.fromQueue("a2i_IPADDRESS") }
            try push(type: GEN_IPADD, value: UnsafeMutableRawPointer(octets), onto: names)
        }
        guard X509_add1_ext_i2d(x509, NID_subject_alt_name, UnsafeMutableRawPointer(names), 0, 0) == 1 else {
            throw TLSError.fromQueue("X509_add1_ext_i2d")
        }
    }

    /// Wraps `value` (ownership taken) in a GENERAL_NAME and pushes it onto `names`.
    private static func push(type: Int32, value: UnsafeMutableRawPointer, onto names: OpaquePointer) throws(TLSError) {
        guard let general = GENERAL_NAME_new() else {
            ASN1_STRING_free(value.assumingMemoryBound(to: ASN1_STRING.self))
            throw TLSError.fromQueue("GENERAL_NAME_new")
        }
        GENERAL_NAME_set0_value(general, type, value)
        guard OPENSSL_sk_push(names, general) > 0 else {
            GENERAL_NAME_free(general)
            throw TLSError.fromQueue("OPENSSL_sk_push")
        }
    }
}
