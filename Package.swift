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
        .library(name: "ZooKit", targets: ["ZooKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
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
        // Runtime's layers, bottom up; each may import only those listed before it.
        .target(name: "ZooTensor", dependencies: ["ZooCore", "COpenBLAS", "CVectorKernels", "CSystemShims"], path: "Sources/Runtime/Tensor"),
        .target(name: "ZooSafeTensors", dependencies: ["ZooCore"], path: "Sources/Runtime/SafeTensors"),
        .target(name: "ZooTokenizers", dependencies: ["ZooCore"], path: "Sources/Runtime/Tokenizers"),
        .target(
            name: "ZooImages", dependencies: ["ZooTensor", "CJPEG", "CPNG", "CWebP", "CImageShims"],
            path: "Sources/Runtime/Images"),
        .target(
            name: "ZooDatasets",
            dependencies: ["ZooImages", "CArchive", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Runtime/Datasets"),
        .target(name: "ZooEncoders", dependencies: ["ZooTensor", "ZooTokenizers"], path: "Sources/Runtime/Encoders"),
        .target(
            name: "ZooCache", dependencies: ["ZooDatasets", "ZooImages", "ZooSafeTensors", "ZooEncoders"],
            path: "Sources/Runtime/Cache"),
        .target(name: "ZooProjectors", dependencies: ["ZooTensor", "ZooSafeTensors"], path: "Sources/Runtime/Projectors"),
        .target(
            name: "ZooTraining", dependencies: ["ZooProjectors", "ZooCache", "ZooDatasets"],
            path: "Sources/Runtime/Training"),
        .target(name: "ZooEvaluation", dependencies: ["ZooTensor", "ZooCache", "ZooProjectors"], path: "Sources/Runtime/Evaluation"),
        .target(name: "ZooAnalysis", dependencies: ["ZooTensor", "ZooCache", "ZooProjectors", "ZooEvaluation"], path: "Sources/Runtime/Analysis"),
        .target(
            name: "ZooCuration", dependencies: ["ZooTensor", "ZooCache", "ZooProjectors", "ZooEvaluation"],
            path: "Sources/Runtime/Curation"),
        .target(name: "ZooSearch", dependencies: ["ZooTensor", "ZooSafeTensors"], path: "Sources/Runtime/Search"),
        .target(
            name: "Runtime",
            dependencies: [
                "ZooCore", "ZooTensor", "ZooSafeTensors", "ZooTokenizers", "ZooImages", "ZooDatasets", "ZooEncoders",
                "ZooCache", "ZooProjectors", "ZooTraining", "ZooEvaluation", "ZooAnalysis", "ZooCuration", "ZooSearch",
            ],
            exclude: [
                "Core", "Tensor", "SafeTensors", "Tokenizers", "Images", "Datasets", "Encoders", "Cache", "Projectors",
                "Training", "Evaluation", "Analysis", "Curation", "Search",
            ]),
        .target(name: "CZooPlugin"),
        .target(name: "CSystemShims"),
        .target(name: "CVectorKernels"),
        .target(
            name: "Plugins",
            dependencies: ["Runtime", "CZooPlugin"]),
        .target(
            name: "ZooHub",
            dependencies: [
                "ZooCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .target(
            name: "ZooKit",
            dependencies: ["Registry", "Runtime", "Plugins", "ZooHub", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "ZooServer",
            dependencies: [
                "ZooKit", "Registry", "Runtime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "zoo",
            dependencies: [
                "ZooKit", "ZooServer", "ZooHub", "Registry", "Runtime", "Plugins",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Plugins", "CVectorKernels"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Runtime"]),
        .testTarget(name: "ZooHubTests", dependencies: ["ZooHub", .product(name: "NIOHTTP1", package: "swift-nio")]),
        .testTarget(
            name: "ZooServerTests",
            dependencies: ["ZooServer", .product(name: "Hummingbird", package: "hummingbird")]),
        .testTarget(
            name: "ZooCLITests",
            dependencies: [
                "zoo", "ZooKit", "Registry", "Runtime", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
