import CoffreProtocol
import Foundation
import Testing

@Suite struct Base64BytesTests {
    @Test func standardPaddedBase64RoundTrips() throws {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let value = Base64Bytes(bytes)
            #expect(Base64Bytes(base64: value.base64) == value)
            let json = try JSONEncoder().encode(["k": value])
            #expect(try JSONDecoder().decode([String: Base64Bytes].self, from: json)["k"] == value)
        }
        #expect(Base64Bytes([0xfb, 0xff]).base64 == "+/8=")
    }

    @Test(arguments: [
        "AAECAw", "AAECAw=", "AA ECAw==", "AAEC\nAw==", "-_8=", "AAECAw===", "=AAA", "AB==", "A", "****", "AAECAw==AAAA",
    ])
    func nonCanonicalOrForeignFormsAreRefused(_ text: String) {
        #expect(Base64Bytes(base64: text) == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Base64Bytes].self, from: Data("[\"\(text)\"]".utf8)) }
    }

    @Test func overlongTextIsRefusedBeforeDecoding() {
        let text = String(repeating: "A", count: Base64Bytes.maximumEncodedLength + 4)
        #expect(Base64Bytes(base64: text) == nil)
        #expect(Base64Bytes(base64: String(repeating: "A", count: Base64Bytes.maximumEncodedLength))?.count == 36 * 1024)
    }

    @Test func descriptionHidesTheBytes() {
        #expect(Base64Bytes([1, 2, 3]).description == "Base64Bytes(3 bytes)")
        #expect(!"\(Base64Bytes(Array("secret".utf8)))".contains("c2VjcmV0"))
    }
}

@Suite struct UserNameTests {
    @Test(arguments: ["a", "9", "alice", "a-b.c_d", String(repeating: "x", count: 64)])
    func valid(_ name: String) {
        #expect(UserName(rawValue: name)?.rawValue == name)
        #expect(UserName.problem(with: name) == nil)
    }

    @Test(arguments: [
        "", "A", "aB", "-a", ".a", "_a", "a b", "a/b", "a\\b", "é", "e\u{301}", "ａ", "a\u{0}", "a\u{200B}", "a@b", "a:b",
        String(repeating: "x", count: 65),
    ])
    func invalid(_ name: String) {
        #expect(UserName(rawValue: name) == nil)
        let problem = UserName.problem(with: name)
        #expect(problem != nil)
        if name.count > 1 { #expect(problem?.contains(name) == false) }
    }
}

@Suite struct WireCodingTests {
    @Test func unknownErrorCodesAndAuditKindsDecode() throws {
        let body = try JSONDecoder().decode(ErrorBody.self, from: Data(#"{"error":"brand_new","message":"m"}"#.utf8))
        #expect(body.error.rawValue == "brand_new")
        #expect(body.retryAfterSeconds == nil)
        let kind = try JSONDecoder().decode([AuditEventKind].self, from: Data(#"["share_created","login_failed"]"#.utf8))
        #expect(kind == [AuditEventKind(rawValue: "share_created"), .loginFailed])
        let encoded = String(decoding: try JSONEncoder().encode(ErrorBody(error: .throttled, message: "wait", retryAfterSeconds: 3)), as: UTF8.self)
        #expect(encoded.contains(#""error":"throttled""#))
        #expect(encoded.contains(#""retryAfterSeconds":3"#))
    }

    @Test func requestsRoundTripAndRejectWrongShapes() throws {
        let login = LoginRequest(userName: "alice", authKey: Array(repeating: 1, count: 32), deviceName: "phone", scopes: [.sync, .read])
        let data = try JSONEncoder().encode(login)
        #expect(try JSONDecoder().decode(LoginRequest.self, from: data) == login)
        for text in [
            #"{"userName":"a","authKey":"AQ==","deviceName":"d","scopes":["root"]}"#,
            #"{"userName":"a","authKey":"not base64!","deviceName":"d","scopes":["sync"]}"#,
            #"{"userName":"a","authKey":"AQ==","deviceName":"d"}"#,
            #"{"userName":5,"authKey":"AQ==","deviceName":"d","scopes":["sync"]}"#,
        ] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(LoginRequest.self, from: Data(text.utf8)) }
        }
        let change = PasswordChangeRequest(
            currentAuthKey: [1], kdf: ScryptParameters(n: 1 << 17, r: 8, p: 1, salt: Array(repeating: 0, count: 16)), authKey: [2],
            wrappedPrivateKeys: WrappedPrivateKeys(x25519: [3], ed25519: [4]), revokeOtherDevices: true)
        #expect(try JSONDecoder().decode(PasswordChangeRequest.self, from: try JSONEncoder().encode(change)) == change)
        let create = try JSONDecoder().decode(CreateUserRequest.self, from: Data(#"{"userName":"bob"}"#.utf8))
        #expect(create == CreateUserRequest(userName: "bob"))
        let quota = try JSONDecoder().decode(SetQuotaRequest.self, from: Data(#"{"quotaBytes":null}"#.utf8))
        #expect(quota.quotaBytes == nil)
    }

    @Test func pathsMatchTheirPatterns() {
        #expect(AccountsPath.device(42) == "/v1/account/devices/42")
        #expect(AccountsPath.adminUserQuota("alice") == "/v1/admin/users/alice/quota")
        #expect(AccountsPath.adminThrottleAccount("bob") == "/v1/admin/throttle/accounts/bob")
        #expect(AccountsPath.adminUserInvitePattern.replacingOccurrences(of: "{name}", with: "x") == AccountsPath.adminUserInvite("x"))
        #expect(Scope.allCases.sorted() == [.sync, .read, .admin])
    }
}
