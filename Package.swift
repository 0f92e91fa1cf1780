// swift-tools-version: 6.1
// One section per target, test targets beside the libraries they test.
import PackageDescription

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .library(name: "SwitchboardClient", targets: ["SwitchboardClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // Wire format: JSON values, JSON-RPC 2.0 messages, error codes, method registry. Foundation only.
        .target(name: "JSONRPC"),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC"]),

        // Newline framing with a line-length cap, shared by server and client.
        .target(name: "LineFraming", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),

        // Domain values, errors and store protocols. No database, transport or vendor.
        .target(name: "SwitchboardCore"),
        .testTarget(name: "SwitchboardCoreTests", dependencies: ["SwitchboardCore"]),

        // Google libphonenumber (Debian libphonenumber-dev) behind a C header; test/ is a C self-test.
        .target(
            name: "CPhoneNumber",
            exclude: ["test"],
            linkerSettings: [
                .linkedLibrary("phonenumber"), .linkedLibrary("protobuf"),
                .linkedLibrary("stdc++", .when(platforms: [.linux])),
            ]
        ),
        // Phone numbers: parse, validate, format, lookup keys.
        .target(name: "SwitchboardPhone", dependencies: ["CPhoneNumber"]),
        .testTarget(name: "SwitchboardPhoneTests", dependencies: ["SwitchboardPhone"]),

        // ICU collation keys (Debian libicu-dev) behind a C header; test/ is a C self-test.
        .target(
            name: "CCollation",
            exclude: ["test"],
            linkerSettings: [.linkedLibrary("icui18n"), .linkedLibrary("icuuc"), .linkedLibrary("icudata")]
        ),
        // Locale-aware sort keys ("Ärzte" with A in German, "Åke" after Z in Finnish).
        .target(name: "SwitchboardCollation", dependencies: ["CCollation"]),
        .testTarget(name: "SwitchboardCollationTests", dependencies: ["SwitchboardCollation"]),

        // Use cases over the store protocols: accounts, users, API keys, authentication.
        .target(name: "SwitchboardServices", dependencies: [
            "SwitchboardCore", "SwitchboardPhone", "SwitchboardCollation", "SwitchboardConnectors",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // sqlite3_config() options (variadic, so C): set once before the first connection.
        .target(name: "CSQLiteOptions", linkerSettings: [.linkedLibrary("sqlite3")]),
        // One folder per external system; each speaks its vendor's real API. They never touch the store.
        .target(name: "SwitchboardConnectors", dependencies: [
            "SwitchboardCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "SwitchboardConnectorsTests", dependencies: [
            "SwitchboardConnectors", "SwitchboardCore", "SwitchboardTestSupport", "HTTPTestServer",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),

        // SQLite through GRDB: one implementation of the Core store protocols.
        .target(name: "SwitchboardStore", dependencies: [
            "SwitchboardCore", "CSQLiteOptions",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        .testTarget(name: "SwitchboardStoreTests", dependencies: [
            "SwitchboardStore", "SwitchboardCore", .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        // NIO listener, sessions, roles, method handlers wired to services.
        .target(
            name: "SwitchboardServer",
            dependencies: [
                "JSONRPC", "LineFraming", "SwitchboardCore", "SwitchboardServices", "SwitchboardStore", "SwitchboardPhone",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.embedInCode("Resources/openrpc.json")]
        ),

        // Client library used by `rpc`, `call`, the shell and the tests.
        .target(name: "SwitchboardClient", dependencies: [
            "JSONRPC", "LineFraming",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // libedit's native <histedit.h> API (Debian libedit-dev, not GNU readline), with C wrappers for its variadic calls.
        .systemLibrary(
            name: "CLibEdit", path: "Sources/CLibEdit", pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"]), .brew(["libedit"])]
        ),
        // The shell's line editor: emacs keys, history file, Tab completion, messages above the prompt.
        .target(name: "SwitchboardLineEditor", dependencies: ["CLibEdit"]),

        // The admin shell (`switchboard shell`): commands, completion, rendering. Talks to the server only through the protocol.
        .target(name: "SwitchboardShell", dependencies: ["JSONRPC", "SwitchboardClient"]),
        .testTarget(name: "SwitchboardShellTests", dependencies: [
            "SwitchboardShell", "SwitchboardTestSupport", "SwitchboardClient", "JSONRPC",
        ]),

        // A real HTTP/1.1 server on loopback for connector tests (the remote systems' simulators use it).
        .target(name: "HTTPTestServer", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),

        // Test support: the SaaS systems' documented APIs served on loopback (sipgate, Pipedrive), never in the product.
        .target(name: "ConnectorSimulators", dependencies: [
            "HTTPTestServer",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "ConnectorSimulatorsTests", dependencies: ["ConnectorSimulators", "HTTPTestServer"]),

        // Test support: a real Radicale CardDAV server (pip install radicale) on a free loopback port.
        .target(name: "RadicaleTestServer"),
        .testTarget(name: "CardDAVTests", dependencies: [
            "SwitchboardConnectors", "SwitchboardCore", "RadicaleTestServer",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),

        // In-process server on port 0, temporary data directories.
        .target(name: "SwitchboardTestSupport", dependencies: [
            "SwitchboardServer", "SwitchboardClient", "JSONRPC",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "SwitchboardServerTests", dependencies: [
            "SwitchboardTestSupport", "SwitchboardServer", "SwitchboardClient", "JSONRPC", "SwitchboardCore", "SwitchboardStore",
            "HTTPTestServer", "ConnectorSimulators", "RadicaleTestServer",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        // Benchmarks that need test support (the vendor simulators): not part of the product.
        .executableTarget(
            name: "connector-bench", dependencies: [
                "ConnectorSimulators", "SwitchboardServer", "SwitchboardCore", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ConnectorBench"),

        // The one executable: serve | shell | rpc | call | version | bench.
        .executableTarget(name: "switchboard", dependencies: [
            "SwitchboardServer", "SwitchboardClient", "SwitchboardShell", "SwitchboardLineEditor", "JSONRPC",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
    ]
)
