import Foundation
import GRDB
import Testing

/// Concurrency and crash safety of the real binary: slower than the unit tests (about a minute).
@Suite("zoo CLI under concurrency and SIGKILL", .serialized)
struct CLIRobustnessTests {
    @Test("8 processes × 50 'zoo encoder add' on one home: all 400 rows, integrity ok")
    func concurrentAdds() throws {
        let zoo = ZooRunner()
        try zoo.checkpoint("shared", seed: 42)
        for process in 0..<8 { try zoo.checkpoint("own-\(process)", seed: 100 + process) }
        // Even processes all add the same bytes (stored once); odd ones add their own.
        let processes = try (0..<8).map { index in
            let source = index % 2 == 0 ? "shared" : "own-\(index)"
            return try zoo.shell("""
                i=0; while [ $i -lt 50 ]; do
                  "$ZOO" encoder add "p\(index)-$i" --from "\(source)" --alias "a\(index)-$i" --home "$HOME_DIR" >/dev/null || exit 1
                  i=$((i+1))
                done
                """)
        }
        for process in processes { process.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })

        let list = try #require(try zoo.run(["encoder", "list", "--json"]).json() as? [[String: Any]])
        #expect(list.count == 400)
        let names = Set(list.compactMap { $0["name"] as? String })
        #expect(names.count == 400)
        #expect(names.contains("p7-49") && names.contains("p0-0"))
        let digests = Set(list.compactMap { ($0["checkpoint"] as? [String: Any])?["digest"] as? String })
        #expect(digests.count == 5)

        let queue = try DatabaseQueue(path: zoo.home.appendingPathComponent("zoo.sqlite").path)
        let (integrity, aliases) = try queue.read { db in
            (try String.fetchAll(db, sql: "PRAGMA integrity_check"), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM encoder_alias"))
        }
        try queue.close()
        #expect(integrity == ["ok"])
        #expect(aliases == 400)
        #expect(try zoo.run(["verify"]).status == 0)
    }

    @Test("20 'zoo encoder add' runs killed by SIGKILL: after gc, verify is clean and rows match files")
    func killedAdds() throws {
        let zoo = ZooRunner()
        #expect(try zoo.run(["init"]).status == 0)
        // Large enough that copying and hashing take a while, so kills land mid-copy too.
        let sources = try (0..<4).map { try zoo.checkpoint("big-\($0)", seed: $0, bytes: 24 << 20) }
        var generator = SystemRandomNumberGenerator()
        var delays: [Int] = []
        for run in 0..<20 {
            let delay = Int.random(in: 0...400, using: &generator)
            delays.append(delay)
            let process = Process()
            process.executableURL = ZooRunner.binary
            process.arguments = ["encoder", "add", "killed-\(run)", "--from", sources[run % 4].path, "--home", zoo.home.path]
            var environment = ProcessInfo.processInfo.environment
            environment["SWIFT_BACKTRACE"] = "enable=no"
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(delay * 1000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        #expect(try zoo.run(["gc"]).status == 0)
        let verify = try zoo.run(["verify", "--json"])
        #expect(verify.status == 0, "delays \(delays): \(verify.stdout)")

        // Every row has its files; every stored folder has its row.
        let list = try #require(try zoo.run(["encoder", "list", "--json"]).json() as? [[String: Any]])
        let store = zoo.home.appendingPathComponent("checkpoints")
        let rowDigests = Set(list.compactMap { ($0["checkpoint"] as? [String: Any])?["digest"] as? String })
        for digest in rowDigests {
            #expect(FileManager.default.fileExists(atPath: store.appendingPathComponent(digest).appendingPathComponent("model.safetensors").path))
        }
        let folders = Set(try FileManager.default.contentsOfDirectory(atPath: store.path).filter { $0 != ".lock" })
        #expect(folders == rowDigests, "delays \(delays)")
        let queue = try DatabaseQueue(path: zoo.home.appendingPathComponent("zoo.sqlite").path)
        #expect(try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") } == ["ok"])
        let checkpointRows = try queue.read { db in try Set(String.fetchAll(db, sql: "SELECT digest FROM checkpoint")) }
        try queue.close()
        #expect(checkpointRows == rowDigests)
        // The killed runs can be retried and succeed.
        #expect(try zoo.run(["encoder", "add", "after-kills", "--from", sources[0].path]).status == 0)
        #expect(try zoo.run(["verify"]).status == 0)
    }
}
