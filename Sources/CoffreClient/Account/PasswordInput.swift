import Glibc

/// Where a command reads a password from, and the rules a password must meet.
///
/// Scripts use a file (`--password-file FILE`, first line) or an environment variable
/// (`COFFRE_PASSWORD`; `COFFRE_NEW_PASSWORD` for the new one of a password change); people are
/// asked on the terminal without echo, twice when a password is chosen. A file wins over the
/// variable, the variable over the terminal.
public enum PasswordInput {
    /// A source of one password.
    public enum Source: Sendable, Equatable {
        /// An environment variable's value.
        case environment(variable: String, value: String)
        /// The first line of a file.
        case file(path: String)
        /// A prompt on the controlling terminal (`/dev/tty`), without echo.
        case terminal
    }

    /// Longest password accepted, in bytes of UTF-8.
    public static let maximumBytes = 1024
    /// Fewest characters a new password may have.
    public static let minimumNewPasswordLength = 8

    /// The source for one password: `file` when given, else `variable` when set, else the
    /// terminal.
    public static func source(file: String?, variable: String, environment: [String: String]) -> Source {
        if let file { return .file(path: file) }
        if let value = environment[variable] { return .environment(variable: variable, value: value) }
        return .terminal
    }

    /// Reads a password from `source`. On the terminal `prompt` is shown, and with `confirm`
    /// the password is asked twice and must match.
    public static func read(from source: Source, prompt: String, confirm: Bool = false) throws(AccountError) -> String {
        let password: String
        switch source {
        case .environment(let variable, let value):
            password = try checked(value, from: "the variable \(variable)")
        case .file(let path):
            password = try checked(try firstLine(ofFile: path), from: path)
        case .terminal:
            let terminal = try TerminalDevice()
            password = try checked(try terminal.readSecret(prompt: prompt), from: "the terminal")
            if confirm {
                let again = try terminal.readSecret(prompt: "Repeat it: ")
                guard again == password else { throw .password("the two passwords differ; nothing was changed") }
            }
        }
        return password
    }

    /// Refuses a new password shorter than `minimumNewPasswordLength` characters.
    public static func checkNewPassword(_ password: String) throws(AccountError) {
        guard password.count >= minimumNewPasswordLength else {
            throw .password("a new password needs at least \(minimumNewPasswordLength) characters")
        }
    }

    /// A password must be non-empty, at most `maximumBytes`, and hold no NUL or line break.
    static func checked(_ password: String, from origin: String) throws(AccountError) -> String {
        guard !password.isEmpty else { throw .password("the password from \(origin) is empty") }
        guard password.utf8.count <= maximumBytes else {
            throw .password("the password from \(origin) is longer than \(maximumBytes) bytes")
        }
        guard !password.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) else {
            throw .password("the password from \(origin) holds a NUL or a line break")
        }
        return password
    }

    /// The first line of a password file, without its line break.
    static func firstLine(ofFile path: String) throws(AccountError) -> String {
        do {
            return try LocalTextFile.firstLine(ofFile: path, maximumBytes: maximumBytes)
        } catch {
            throw .password("cannot use the password file \(path): \(error)")
        }
    }
}
