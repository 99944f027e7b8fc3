import CoffreProtocol
import HTTPServer
import HTTPTypes

extension AccountsAPI {
    /// `/v1/admin/…`: for admin tokens and administrators' `admin`-scoped devices.
    var adminRoutes: [Route] {
        let accounts = accounts
        let authenticator = authenticator
        let users: [Route] = [
            Route(.post, AccountsPath.adminUsers) { request in
                let admin = try await authenticator.admin(for: request)
                let create = try await request.decodeJSON(CreateUserRequest.self)
                return try .json(try await accounts.createUser(create, by: admin), status: .created)
            },
            Route(.get, AccountsPath.adminUsers) { request in
                _ = try await authenticator.admin(for: request)
                return try .json(try await accounts.listUsers())
            },
            Route(.get, AccountsPath.adminUserPattern) { request in
                _ = try await authenticator.admin(for: request)
                return try .json(try await accounts.userDetail(named: try request.pathName()))
            },
            Route(.delete, AccountsPath.adminUserPattern) { request in
                let admin = try await authenticator.admin(for: request)
                try await accounts.deleteUser(named: try request.pathName(), by: admin)
                return .noContent
            },
            Route(.post, AccountsPath.adminUserDisablePattern) { request in
                let admin = try await authenticator.admin(for: request)
                return try .json(try await accounts.setUser(named: try request.pathName(), disabled: true, by: admin))
            },
            Route(.post, AccountsPath.adminUserEnablePattern) { request in
                let admin = try await authenticator.admin(for: request)
                return try .json(try await accounts.setUser(named: try request.pathName(), disabled: false, by: admin))
            },
            Route(.put, AccountsPath.adminUserQuotaPattern) { request in
                let admin = try await authenticator.admin(for: request)
                let quota = try await request.decodeJSON(SetQuotaRequest.self)
                return try .json(try await accounts.setQuota(ofUser: try request.pathName(), quota, by: admin))
            },
            Route(.post, AccountsPath.adminUserInvitePattern) { request in
                let admin = try await authenticator.admin(for: request)
                let reissue = try await request.decodeOptionalJSON(ReissueInviteRequest.self, empty: ReissueInviteRequest())
                return try .json(try await accounts.reissueInvite(forUser: try request.pathName(), reissue, by: admin), status: .created)
            },
        ]
        let devicesAndAudit: [Route] = [
            Route(.get, AccountsPath.adminDevices) { request in
                _ = try await authenticator.admin(for: request)
                let query = try request.queryParameters(allowed: ["user"])
                return try .json(try await accounts.listDevices(ofUser: query["user"]))
            },
            Route(.delete, AccountsPath.adminDevicePattern) { request in
                let admin = try await authenticator.admin(for: request)
                try await accounts.revokeDevice(try request.pathID(what: "device"), by: admin)
                return .noContent
            },
            Route(.get, AccountsPath.adminAudit) { request in
                _ = try await authenticator.admin(for: request)
                let query = try request.queryParameters(allowed: ["user", "since", "before", "limit"])
                return try .json(
                    try await accounts.audit(
                        user: query["user"], since: try query.integer("since"), before: try query.integer("before", in: 1...Int64.max),
                        limit: try query.integer("limit", in: 1...Int64(Int32.max)).map(Int.init)))
            },
        ]
        let throttleTokensStats: [Route] = [
            Route(.get, AccountsPath.adminThrottle) { request in
                _ = try await authenticator.admin(for: request)
                return try .json(accounts.throttle.status())
            },
            Route(.delete, AccountsPath.adminThrottle) { request in
                _ = try await authenticator.admin(for: request)
                accounts.throttle.clearAll()
                return .noContent
            },
            Route(.delete, AccountsPath.adminThrottleAccountPattern) { request in
                _ = try await authenticator.admin(for: request)
                guard accounts.throttle.clear(account: try request.pathName()) else { throw APIError.notFound("throttled account") }
                return .noContent
            },
            Route(.post, AccountsPath.adminTokens) { request in
                let admin = try await authenticator.admin(for: request)
                let create = try await request.decodeJSON(CreateAdminTokenRequest.self)
                return try .json(try await accounts.createAdminToken(create, by: admin), status: .created)
            },
            Route(.get, AccountsPath.adminTokens) { request in
                _ = try await authenticator.admin(for: request)
                return try .json(try await accounts.listAdminTokens())
            },
            Route(.delete, AccountsPath.adminTokenPattern) { request in
                let admin = try await authenticator.admin(for: request)
                try await accounts.revokeAdminToken(try request.pathID(what: "admin token"), by: admin)
                return .noContent
            },
            Route(.get, AccountsPath.adminStats) { request in
                _ = try await authenticator.admin(for: request)
                return try .json(try await accounts.stats())
            },
        ]
        return users + devicesAndAudit + throttleTokensStats
    }
}
