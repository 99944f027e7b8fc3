import CoffreClient
import Synchronization
import Testing

@Suite("WebDAV If header and locks")
struct WebDAVIfHeaderTests {
    @Test func parsesUntaggedListsWithNotTokensAndETags() throws {
        let header = try DAVIfHeader.parse(#"(<urn:uuid:1> ["e1"]) (Not <DAV:no-lock> [W/"e2"])"#)
        #expect(header.lists.count == 2)
        #expect(header.lists[0].resourceTag == nil)
        #expect(header.lists[0].conditions == [
            .init(negated: false, kind: .token("urn:uuid:1")), .init(negated: false, kind: .etag("e1", weak: false)),
        ])
        #expect(header.lists[1].conditions[0] == .init(negated: true, kind: .token("DAV:no-lock")))
        #expect(header.lists[1].conditions[1] == .init(negated: false, kind: .etag("e2", weak: true)))
        #expect(header.submittedTokens == ["urn:uuid:1"])
    }

    @Test func parsesTaggedLists() throws {
        let header = try DAVIfHeader.parse("<http://h/a> (<urn:uuid:1>) (<urn:uuid:2>) </b> (NOT [\"x\"])")
        #expect(header.lists.map(\.resourceTag) == ["http://h/a", "http://h/a", "/b"])
        #expect(header.lists[2].conditions == [.init(negated: true, kind: .etag("x", weak: false))])
    }

    @Test(arguments: [
        "", "()", "(<a>", "<urn:a>", "(<a>) <http://h/> (<b>)", "<http://h/> (<a>) (<b>) (x)", "([e])", "([\"e\")", "(<>)",
        "(Not)", "(<a b>)", "(<a>) junk",
    ])
    func refusesMalformedHeaders(_ value: String) {
        #expect(throws: DAVError.self) { try DAVIfHeader.parse(value) }
    }

    @Test func boundsTheNumberOfConditions() {
        let many = "(" + String(repeating: "<urn:x> ", count: DAVIfHeader.maximumConditions + 1) + ")"
        #expect(throws: DAVError.badRequest("too many If conditions")) { try DAVIfHeader.parse(many) }
    }

    @Test func evaluatesAnyListAllConditions() async throws {
        let path = try DAVPath(names: ["f"])
        let state = DAVIfHeader.ResourceState(etag: "e1", lockTokens: ["urn:uuid:1"])
        func holds(_ text: String) async throws -> Bool {
            try await DAVIfHeader.parse(text).evaluate(requestPath: path, resolve: { _ in path }, state: { _ in state })
        }
        #expect(try await holds("(<urn:uuid:1>)"))
        #expect(try await holds("(<urn:uuid:1> [\"e1\"])"))
        #expect(!(try await holds("(<urn:uuid:1> [\"e2\"])")))
        #expect(!(try await holds("(<urn:uuid:2>)")))
        #expect(try await holds("(<urn:uuid:2>) (Not <DAV:no-lock>)"))
        #expect(!(try await holds("(<DAV:no-lock>)")))
        #expect(!(try await holds("(Not [\"e1\"])")))
        let unresolvable = try DAVIfHeader.parse("<http://elsewhere/f> (<urn:uuid:1>)")
        #expect(!(try await unresolvable.evaluate(requestPath: path, resolve: { _ in nil }, state: { _ in state })))
    }

    @Test func exclusiveLocksConflictSharedOnesCoexist() throws {
        let locks = DAVLockManager()
        let folder = try DAVPath(names: ["d"])
        let member = try DAVPath(names: ["d", "m"])
        let shared = try locks.lock(folder, rootIsCollection: true, scope: .shared, coversMembers: true, ownerXML: nil, timeoutSeconds: 60)
        _ = try locks.lock(folder, rootIsCollection: true, scope: .shared, coversMembers: false, ownerXML: nil, timeoutSeconds: 60)
        #expect(throws: DAVError.conflictingLock(lockRoot: folder)) {
            try locks.lock(member, rootIsCollection: false, scope: .exclusive, coversMembers: false, ownerXML: nil, timeoutSeconds: 60)
        }
        #expect(throws: DAVError.locked(lockRoot: folder)) { try locks.checkWritable(member, withMembers: false, submitted: []) }
        try locks.checkWritable(member, withMembers: false, submitted: [shared.token])
        #expect(throws: DAVError.self) { try locks.checkWritable(.root, withMembers: true, submitted: [shared.token]) }
        #expect(!locks.unlock(token: shared.token, at: try DAVPath(names: ["other"])))
        #expect(locks.unlock(token: shared.token, at: member))
        #expect(locks.count == 1)
    }

    @Test func locksExpireAndRefresh() throws {
        let now = Mutex<Double>(100)
        let locks = DAVLockManager(maximumTimeoutSeconds: 50, clock: { now.withLock { $0 } })
        let path = try DAVPath(names: ["f"])
        let lock = try locks.lock(path, rootIsCollection: false, scope: .exclusive, coversMembers: false, ownerXML: nil, timeoutSeconds: Int.max)
        #expect(lock.timeoutSeconds == 50)
        now.withLock { $0 = 140 }
        #expect(locks.refresh(token: lock.token, at: path, timeoutSeconds: 30)?.expiresAt == 170)
        now.withLock { $0 = 171 }
        #expect(locks.locks(covering: path).isEmpty)
        #expect(locks.refresh(token: lock.token, at: path, timeoutSeconds: 30) == nil)
        try locks.checkWritable(path, withMembers: false, submitted: [])
    }

    @Test func theNumberOfLocksIsBounded() throws {
        let locks = DAVLockManager(maximumLocks: 3)
        for index in 0..<3 {
            _ = try locks.lock(try DAVPath(names: ["f\(index)"]), rootIsCollection: false, scope: .shared, coversMembers: false, ownerXML: nil, timeoutSeconds: 60)
        }
        #expect(throws: DAVError.insufficientStorage("too many locks")) {
            try locks.lock(try DAVPath(names: ["f9"]), rootIsCollection: false, scope: .shared, coversMembers: false, ownerXML: nil, timeoutSeconds: 60)
        }
    }
}
