import CoffreClient
import Testing

/// `coffre dav --listen`: loopback addresses only (the gateway has no TLS and serves
/// decrypted files).
@Suite("coffre dav listen address")
struct VaultDAVListenAddressTests {
    @Test(arguments: [("127.0.0.1:8088", "127.0.0.1", 8088), ("127.1.2.3:0", "127.1.2.3", 0), ("[::1]:9000", "::1", 9000),
                      ("localhost:80", "127.0.0.1", 80)])
    func loopbackAddressesAreAccepted(_ text: String, host: String, port: Int) throws {
        let address = try DAVListenAddress(parsing: text)
        #expect(address.host == host && address.port == port)
    }

    @Test(arguments: ["0.0.0.0:8088", "192.168.1.2:80", "[::]:80", "example.org:80", "127.0.0.1", "127.0.0.1:99999",
                      "127.0.0.1:-1", "128.0.0.1:80", "127.0.0.1.5:80", "127.0.0.0001:80", ":80", "[::1]80"])
    func anythingElseIsRefused(_ text: String) {
        #expect(throws: AccountError.self) { try DAVListenAddress(parsing: text) }
    }
}
