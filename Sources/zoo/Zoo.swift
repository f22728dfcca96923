import ArgumentParser
import Foundation
import ZooKit
import Logging
import Plugins
import Registry
import Runtime

/// The `zoo` command: a model-zoo registry for frozen encoders aligned by trained projectors.
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "A model-zoo registry for aligning frozen vision and text encoders with small trained projectors.",
        version: ZooVersion.current,
        subcommands: [
            InitCommand.self, EncoderCommand.self, BackendCommand.self, BackendsCommand.self, PluginCommand.self, TokenizeCommand.self, EncodeCommand.self, PreprocessCommand.self,
            DatasetCommand.self, CurateCommand.self, EmbedCommand.self, CacheCommand.self, TrainCommand.self, ProjectorCommand.self, EvalCommand.self, ClassifyCommand.self, IndexCommand.self, SearchCommand.self, ServeCommand.self, ScoreCommand.self, ResultsCommand.self, CKACommand.self, ReportCommand.self,
            PackCommand.self, ImportCommand.self, BenchCommand.self,
            VerifyCommand.self, GCCommand.self, VersionCommand.self,
        ])
}

@main
enum ZooMain {
    static func main() {
        // Keep freed buffers in the heap instead of returning them to the kernel: training and
        // encoding allocate the same large arrays every step, and fresh mappings cost a page
        // fault per 4 KiB each time.
        MemoryTuning.keepFreedMemory()
        // A forced kernel copy this CPU cannot run, or a value that is no width, is refused
        // before any kernel is chosen.
        if let problem = KernelPath.validate(ProcessInfo.processInfo.environment) {
            fail(problem.description, code: problem.exitStatus.rawValue)
        }
        BLASCore.prepare()
        BuiltinBackends.bootstrap()
        do {
            var command = try Zoo.parseAsRoot()
            try command.run()
        } catch let error as any ReportableError {
            fail(error.description, code: error.exitStatus.rawValue)
        } catch {
            Zoo.exit(withError: error)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("zoo: error: \(message)\n".utf8))
        exit(code)
    }
}
