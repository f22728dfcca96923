import ArgumentParser
import Foundation
import Runtime
import ZooKit

/// `zoo bench search --index FILE --queries FILE [--batch 1,64] [--k 10]`.
struct BenchSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Queries/s of exact top-k search over an index file; scripts/peer_bench_search.py runs faiss IndexFlatIP beside it.")

    @Option(help: ArgumentHelp("An index file: safetensors with tensor 'embeddings' F32 or F16 [N, D].", valueName: "file"))
    var index: String

    @Option(help: ArgumentHelp("A safetensors file with tensor 'queries' F32 [Q, D].", valueName: "file"))
    var queries: String

    @Option(help: "Query batch sizes, comma-separated.")
    var batch = "1,64"

    @Option(help: "Hits per query.")
    var k = 10

    @Option(help: "Seconds of searching per batch size.")
    var seconds = 5.0

    @Option(help: "Threads for BLAS and zoo's loops (default: OpenBLAS's).")
    var threads: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
        guard batch.split(separator: ",").allSatisfy({ Int($0).map { $0 >= 1 } ?? false }) else {
            throw ValidationError("--batch is a comma-separated list of sizes of at least 1")
        }
    }

    func run() throws {
        if let threads { ComputeThreads.set(max(1, threads)) }
        var benchmark = SearchBenchmark(index: URL(fileURLWithPath: index), queries: URL(fileURLWithPath: queries))
        benchmark.batches = batch.split(separator: ",").compactMap { Int($0) }
        benchmark.k = k
        benchmark.seconds = seconds
        let result = try benchmark.run()
        if output.json {
            try Output.json(result)
            return
        }
        for row in result.batches {
            print(String(format: "search %d×%d %@, k %d, batch %d, %d threads: %.2f ms per batch, %.1f queries/s",
                         result.n, result.dim, result.dtype, result.k, row.batch, result.threads, row.millisecondsPerBatch, row.queriesPerSecond))
        }
    }
}
