import COpenSSL
import Foundation
import Testing

@testable import HTTPServer

/// The self-signed certificate generator and certificate fingerprints.
@Suite("TLS certificate generator")
struct TLSCertificateGeneratorTests {
    @Test("a generated certificate is PEM, parses back, and its fingerprint is SHA-256 of its DER")
    func generatedCertificate() throws {
        let generated = try TLSCertificateGenerator.selfSigned(dnsNames: ["coffre.test"], ipAddresses: ["192.0.2.7"])
        #expect(generated.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        #expect(generated.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(try TLSCertificateGenerator.fingerprintSHA256(ofPEM: generated.certificatePEM) == generated.fingerprintSHA256)

        // Independently: base64-decode the PEM body and hash the DER with EVP_Digest.
        let body = generated.certificatePEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let der = try #require(Data(base64Encoded: body))
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let status = der.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }
        #expect(status == 1 && length == 32)
        #expect(digest == generated.fingerprintSHA256)
    }

    @Test("the certificate carries the requested names, a positive serial and the requested validity")
    func certificateFields() throws {
        let generated = try TLSCertificateGenerator.selfSigned(
            dnsNames: ["coffre.test", "*.coffre.test"], ipAddresses: ["192.0.2.7", "2001:db8::1"], validityDays: 30)
        let certificate = try TLSCertificate.parse(pem: generated.certificatePEM)
        let x509 = certificate.handle
        #expect(X509_check_host(x509, "coffre.test", 0, 0, nil) == 1)
        #expect(X509_check_host(x509, "files.coffre.test", 0, 0, nil) == 1)
        #expect(X509_check_host(x509, "other.test", 0, 0, nil) == 0)
        #expect(X509_check_ip_asc(x509, "192.0.2.7", 0) == 1)
        #expect(X509_check_ip_asc(x509, "2001:db8::1", 0) == 1)
        #expect(X509_check_ip_asc(x509, "192.0.2.8", 0) == 0)
        #expect(X509_check_ca(x509) == 0)
        #expect(X509_get_version(x509) == Int(X509_VERSION_3))
        #expect(ASN1_INTEGER_get(X509_get0_serialNumber(x509)) > 0)
        // Valid now, still valid in 29 days, expired in 31.
        let now = time(nil)
        var in29 = now + 29 * 86_400
        var in31 = now + 31 * 86_400
        #expect(X509_cmp_current_time(X509_get0_notBefore(x509)) < 0)
        #expect(X509_cmp_time(X509_get0_notAfter(x509), &in29) > 0)
        #expect(X509_cmp_time(X509_get0_notAfter(x509), &in31) < 0)
    }

    @Test("every generation has a new key and serial")
    func freshKeys() throws {
        let a = try TLSCertificateGenerator.selfSigned(dnsNames: ["localhost"])
        let b = try TLSCertificateGenerator.selfSigned(dnsNames: ["localhost"])
        #expect(a.privateKeyPEM != b.privateKeyPEM)
        #expect(a.fingerprintSHA256 != b.fingerprintSHA256)
    }

    @Test(
        "malformed or hostile DNS names are refused before reaching OpenSSL",
        arguments: [
            "", "a,IP:10.0.0.1", "with space.test", "-lead.test", "trail-.test", "a..b", ".test", "test.",
            "*", "*.test.", "a.*.test", "w*.test", "x\0y.test", "é.test",
            String(repeating: "a", count: 64) + ".test",
            Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."),
        ])
    func badDNSNames(name: String) {
        #expect(!TLSCertificateGenerator.isValidDNSName(name))
        #expect(throws: TLSError.self) { try TLSCertificateGenerator.selfSigned(dnsNames: [name]) }
    }

    @Test("well-formed DNS names are accepted", arguments: ["localhost", "coffre.test", "*.coffre.test", "a-b.c1.test", "xn--caf-dma.test"])
    func goodDNSNames(name: String) {
        #expect(TLSCertificateGenerator.isValidDNSName(name))
    }

    @Test("bad IP addresses, validity, and name counts are refused")
    func badParameters() {
        for address in ["", "1.2.3", "256.1.1.1", "::g", "localhost", "1.2.3.4/24"] {
            #expect(throws: TLSError.self) { try TLSCertificateGenerator.selfSigned(dnsNames: [], ipAddresses: [address]) }
        }
        #expect(throws: TLSError.self) { try TLSCertificateGenerator.selfSigned(dnsNames: []) }
        #expect(throws: TLSError.self) { try TLSCertificateGenerator.selfSigned(dnsNames: ["a.test"], validityDays: 0) }
        #expect(throws: TLSError.self) { try TLSCertificateGenerator.selfSigned(dnsNames: ["a.test"], validityDays: 3651) }
        let tooMany = (0...TLSCertificateGenerator.maximumNameCount).map { "n\($0).test" }
        #expect(throws: TLSError.self) { try TLSCertificateGenerator.selfSigned(dnsNames: tooMany) }
    }

    @Test("a fingerprint of something that is not a PEM certificate is an error")
    func fingerprintOfGarbage() throws {
        for text in ["", "garbage", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"] {
            #expect(throws: TLSError.self) { try TLSCertificateGenerator.fingerprintSHA256(ofPEM: text) }
        }
        let key = try TLSCertificateGenerator.selfSigned(dnsNames: ["localhost"]).privateKeyPEM
        #expect(throws: TLSError.self) { try TLSCertificateGenerator.fingerprintSHA256(ofPEM: key) }
    }
}
