// swift-tools-version:6.2
// Coffre — self-hosted, end-to-end encrypted file sync. Layout and reasons: docs/architecture.md.
import PackageDescription

let package = Package(
    name: "coffre",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coffred", targets: ["coffred"]),
        .executable(name: "coffre", targets: ["coffre"]),
        .executable(name: "coffre-admin", targets: ["coffre-admin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
    ],
    targets: [
        // System libraries and C shims (macros, variadics, epoll, accept4).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "CSystemShims"),
        // SHA-256 block function on the x86 SHA extensions, one stream or two in lock-step.
        .target(name: "CSHA256x2"),
        // AES-256-GCM on VAES / VPCLMULQDQ / AVX-512, sixteen blocks per step.
        .target(name: "CAES256GCM"),

        // Libraries, lower ones first: a target imports only targets above it.
        .target(name: "CoffreCrypto", dependencies: ["COpenSSL", "CSHA256x2", "CAES256GCM"]),
        .target(name: "SQLiteStore", dependencies: ["CSQLite"]),
        .target(
            name: "HTTPServer",
            dependencies: [
                "CSystemShims", "COpenSSL",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "CoffreProtocol"),
        .target(
            name: "CoffreServer",
            dependencies: [
                "CoffreCrypto", "SQLiteStore", "HTTPServer", "CoffreProtocol", "CSystemShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        .target(
            name: "CoffreClient",
            dependencies: [
                "CoffreCrypto", "SQLiteStore", "HTTPServer", "CoffreProtocol", "CSystemShims",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),

        // Thin executables.
        .executableTarget(
            name: "coffred",
            dependencies: [
                "CoffreServer", "CoffreProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "coffre",
            dependencies: ["CoffreClient", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "coffre-admin",
            dependencies: [
                "CoffreClient", "CoffreServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Benchmarks (release builds, run by `make bench`).
        .executableTarget(name: "crypto-bench", dependencies: ["CoffreClient", "CoffreCrypto"], path: "Benchmarks/CryptoBench"),
        .executableTarget(
            name: "http-bench-server",
            dependencies: [
                "HTTPServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/HTTPBench"),
        .executableTarget(
            name: "sync-bench", dependencies: ["CoffreClient", "CoffreCrypto", "CoffreProtocol", "HTTPServer", "CSystemShims"],
            path: "Benchmarks/SyncBench"),
        .executableTarget(
            name: "blob-flush-bench", dependencies: ["CoffreServer", "CoffreCrypto", "CoffreProtocol", "CSystemShims"],
            path: "Benchmarks/BlobFlushBench"),

        // Tests: one target per library target, plus end-to-end tests on the real binaries.
        .testTarget(name: "CoffreCryptoTests", dependencies: ["CoffreCrypto"]),
        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore"]),
        .testTarget(
            name: "HTTPServerTests",
            dependencies: [
                "HTTPServer", "COpenSSL",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "CoffreProtocolTests", dependencies: ["CoffreProtocol"]),
        .testTarget(
            name: "CoffreServerTests",
            dependencies: ["CoffreServer", "CoffreProtocol", "CoffreCrypto", "SQLiteStore", "CoffreClient"]),
        .testTarget(
            name: "CoffreClientTests",
            dependencies: [
                "CoffreClient", "CoffreCrypto", "CoffreProtocol", "CoffreServer", "HTTPServer", "SQLiteStore",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "EndToEndTests", dependencies: ["HTTPServer", "CoffreProtocol", "CoffreClient", "CoffreCrypto", "CSystemShims"]),
    ]
)
