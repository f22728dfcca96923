import Foundation

/// The result of one `zoo` run.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// stdout parsed as JSON.
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8))
    }
}

/// Runs the built `zoo` binary against a temporary home.
final class ZooRunner {
    let home: URL
    let scratch: URL

    /// The `zoo` executable next to the test bundle (override with $ZOO_BIN).
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["ZOO_BIN"] { return URL(fileURLWithPath: path) }
        let tests = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = tests.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("zoo")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return tests.deletingLastPathComponent().appendingPathComponent("zoo")
    }()

    init() {
        scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-cli-\(UUID().uuidString)")
        home = scratch.appendingPathComponent("home")
        try! FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: scratch) }

    /// Runs `zoo ARGS --home HOME` (unless `withHome` is false) and waits. With
    /// `fileSizeLimit` (bytes, a multiple of 512), zoo runs under `ulimit -f` with SIGXFSZ
    /// ignored, so a write past the limit fails as a write to a full disk does.
    @discardableResult
    func run(_ arguments: [String], withHome: Bool = true, environment: [String: String] = [:], fileSizeLimit: Int? = nil) throws -> CLIResult {
        let process = Process()
        let zooArguments = arguments + (withHome ? ["--home", home.path] : [])
        if let fileSizeLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "trap '' XFSZ; ulimit -f \(fileSizeLimit / 512); exec \"$0\" \"$@\"", ZooRunner.binary.path] + zooArguments
        } else {
            process.executableURL = ZooRunner.binary
            process.arguments = zooArguments
        }
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        env.removeValue(forKey: "ZOO_HOME")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.currentDirectoryURL = scratch
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// The size of the file at `url` in bytes, 0 when there is none.
    static func size(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Runs a shell script with `$ZOO` set to the binary and `$HOME_DIR` to the home.
    func shell(_ script: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        env["ZOO"] = ZooRunner.binary.path
        env["HOME_DIR"] = home.path
        process.environment = env
        process.currentDirectoryURL = scratch
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The committed fixture models, by Hugging Face model_type.
    static let fixtureModels: [String: String] = [
        "bert": "models/tiny-bert", "roberta": "models/tiny-roberta", "dinov2": "vision/models/dinov2-tiny",
    ]

    /// The repository's Tests/Fixtures folder.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// A loadable checkpoint folder: a copy of the fixture model of `modelType`, plus `extra.bin`
    /// holding `bytes` bytes derived from `seed`, so different seeds give different digests.
    @discardableResult
    func checkpoint(_ name: String, seed: Int = 0, bytes: Int = 4096, modelType: String = "bert") throws -> URL {
        let folder = scratch.appendingPathComponent(name)
        let source = ZooRunner.fixtures.appendingPathComponent(ZooRunner.fixtureModels[modelType]!)
        try FileManager.default.copyItem(at: source, to: folder)
        var generator = SplitMix(seed: UInt64(seed))
        var extra = [UInt8](repeating: 0, count: bytes)
        for index in extra.indices { extra[index] = UInt8(truncatingIfNeeded: generator.next()) }
        try Data(extra).write(to: folder.appendingPathComponent("extra.bin"))
        return folder
    }

    /// Number of regular files below `folder`, hidden ones skipped (as zoo stores them).
    static func fileCount(_ folder: URL) -> Int {
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey],
                                                        options: [.skipsHiddenFiles])
        var count = 0
        while let url = enumerator?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { count += 1 }
        }
        return count
    }
}

/// A tiny deterministic generator for test data.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
