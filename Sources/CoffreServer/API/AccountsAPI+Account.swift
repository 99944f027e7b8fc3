import CoffreProtocol
import HTTPServer
import HTTPTypes

extension AccountsAPI {
    /// `/v1/auth/…`: pre-login, registration, login, logout.
    var authRoutes: [Route] {
        let accounts = accounts
        let authenticator = authenticator
        return [
            Route(.post, AccountsPath.prelogin) { request in
                try .json(try await accounts.prelogin(try await request.decodeJSON(PreloginRequest.self)))
            },
            Route(.post, AccountsPath.register) { request in
                try .json(try await accounts.register(try await request.decodeJSON(RegisterRequest.self)), status: .created)
            },
            Route(.post, AccountsPath.login) { request in
                let login = try await request.decodeJSON(LoginRequest.self)
                return try .json(try await accounts.login(login, from: request.sourceAddress), status: .created)
            },
            Route(.post, AccountsPath.logout) { request in
                try await accounts.logout(try await authenticator.device(for: request, requiring: nil))
                return .noContent
            },
        ]
    }

    /// `/v1/account/…`: the caller's own account.
    var accountRoutes: [Route] {
        let accounts = accounts
        let authenticator = authenticator
        return [
            Route(.get, AccountsPath.account) { request in
                try .json(try await accounts.account(of: try await authenticator.device(for: request, requiring: nil)))
            },
            Route(.get, AccountsPath.devices) { request in
                try .json(try await accounts.devices(of: try await authenticator.device(for: request, requiring: nil)))
            },
            Route(.delete, AccountsPath.devicePattern) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                try await accounts.revokeDevice(try request.pathID(what: "device"), of: session)
                return .noContent
            },
            Route(.post, AccountsPath.password) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let change = try await request.decodeJSON(PasswordChangeRequest.self)
                return try .json(try await accounts.changePassword(change, session: session, from: request.sourceAddress))
            },
            Route(.get, AccountsPath.audit) { request in
                let session = try await authenticator.device(for: request, requiring: nil)
                let query = try request.queryParameters(allowed: ["since", "before", "limit"])
                return try .json(
                    try await accounts.audit(
                        of: session, since: try query.integer("since"), before: try query.integer("before", in: 1...Int64.max),
                        limit: try query.integer("limit", in: 1...Int64(Int32.max)).map(Int.init)))
            },
            Route(.get, AccountsPath.export) { request in
                let session = try await authenticator.device(for: request, requiring: nil)
                var fields = HTTPFields()
                fields[.contentType] = "application/x-tar"
                fields[.cacheControl] = "no-store"
                // RFC 6266 §4: offer the archive as a download with a fixed file name.
                fields[.contentDisposition] = #"attachment; filename="coffre-export.tar""#
                return HTTPServerResponse(
                    status: .ok, headerFields: fields,
                    body: .stream(length: nil) { writer in
                        try await accounts.export(of: session) { bytes in try await writer.write(bytes) }
                    })
            },
            Route(.post, AccountsPath.delete) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let deletion = try await request.decodeJSON(AccountDeletionRequest.self)
                try await accounts.deleteAccount(deletion, session: session, from: request.sourceAddress)
                return .noContent
            },
        ]
    }
}
