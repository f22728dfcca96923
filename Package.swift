// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "zoo",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "zoo", targets: ["zoo"]),
        .library(name: "Registry", targets: ["Registry"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Plugins", targets: ["Plugins"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(
            name: "CJPEG",
            pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CWebP",
            pkgConfig: "libwebp",
            providers: [.apt(["libwebp-dev"])]),
        .target(
            name: "CImageShims",
            dependencies: ["CJPEG", "CPNG"]),
        .target(name: "ZooCore", path: "Sources/Runtime/Core"),
        .target(
            name: "Registry",
            dependencies: [
                "ZooCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                "CArchive",
            ]),
        .target(
            name: "Runtime",
            dependencies: [
                "COpenBLAS", "CJPEG", "CPNG", "CWebP", "CImageShims", "CSystemShims", "CArchive",
                "CVectorKernels", "ZooCore", .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Core"]),
        .target(name: "CZooPlugin"),
        .target(name: "CSystemShims"),
        .target(name: "CVectorKernels"),
        .target(
            name: "Plugins",
            dependencies: ["Runtime", "CZooPlugin"]),
        .executableTarget(
            name: "zoo",
            dependencies: [
                "Registry", "Runtime", "Plugins",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Plugins", "CVectorKernels"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Runtime"]),
        .testTarget(
            name: "ZooCLITests",
            dependencies: ["zoo", "Registry", "Runtime", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v6]
)
