import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo bench …`: throughput benchmarks (never timed tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure throughput.", subcommands: [BenchEncode.self, BenchTrain.self, BenchEval.self, BenchGEMM.self])
}

/// `zoo bench encode NAME [--n N] [--batch B]`: sentences/s on generated captions.
struct BenchEncode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Throughput of an encoder: sentences/s on generated captions of 6-20 words (tokenizing included), or images/s.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Text encoder name or alias.")
    var name: String

    @Option(help: "Number of captions.")
    var n = 2048

    @Option(help: "Captions per forward pass.")
    var batch = 64

    @Option(help: "Threads for BLAS and zoo's loops (default: OpenBLAS's).")
    var threads: Int?

    @Option(help: "Timed passes over all captions; the best is reported.")
    var `repeat` = 3

    @Option(help: ArgumentHelp("Also write the captions, one per line, for a peer benchmark.", valueName: "file"))
    var writeSentences: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard n >= 1, batch >= 1, `repeat` >= 1 else { throw ValidationError("--n, --batch and --repeat must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    @Option(parsing: .upToNextOption, help: "Vision encoders: images to cycle through (preprocessing included and excluded are both timed).")
    var images: [String] = []

    @Option(help: ArgumentHelp("Vision encoders: a file with one image path per line.", valueName: "file"))
    var input: String?

    @Option(help: "Vision encoders without images: side of the random square pixels (default: the preprocessor's crop, else 224).")
    var size: Int?

    func run() throws {
        let zoo = try global.openZoo()
        let (entry, loaded) = try EncoderLoading.encoder(name, zoo: zoo)
        if let threads { ComputeThreads.set(threads) }
        switch loaded {
        case .text(let encoder):
            try benchText(encoder, entry: entry)
        case .vision(let encoder, let preprocessor):
            try benchVision(encoder, preprocessor: preprocessor, entry: entry)
        }
    }

    /// Runs `body` `repeat` times and returns the best wall time with the GEMM counters of that run.
    private func timed(_ body: () throws -> Void) rethrows -> (seconds: Double, gemmSeconds: Double, gemmFlops: Int) {
        var best = (seconds: Double.infinity, gemmSeconds: 0.0, gemmFlops: 0)
        for _ in 0..<`repeat` {
            GEMMCounters.start()
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let gemm = GEMMCounters.stop()
            if seconds < best.seconds { best = (seconds, Double(gemm.nanoseconds) / 1e9, gemm.flops) }
        }
        return best
    }

    /// The figures every benchmark reports, GEMM share per thread-second.
    private func common(_ entry: EncoderEntry, _ run: (seconds: Double, gemmSeconds: Double, gemmFlops: Int), n: Int) -> BenchEncodeJSON {
        BenchEncodeJSON(
            encoder: entry.name, batch: batch, threads: ComputeThreads.count, seconds: run.seconds,
            gemmShare: run.gemmSeconds / (run.seconds * Double(ComputeThreads.count)),
            gemmGFLOPSPerThread: run.gemmSeconds > 0 ? Double(run.gemmFlops) / run.gemmSeconds / 1e9 : 0,
            openblas: BLASInfo.configuration, openblasCoretype: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], n: n)
    }

    private func benchText(_ encoder: any TextEncoder, entry: EncoderEntry) throws {
        let captions = CaptionGenerator.captions(count: n)
        if let writeSentences {
            try DurableFile.write(Data(captions.joined(separator: "\n").utf8), to: URL(fileURLWithPath: writeSentences))
        }
        _ = try encoder.pooledEmbeddings(ids: captions.prefix(batch).map(encoder.tokenize))  // warm-up
        var tokenCount = 0
        // Tokenizing included; sentence embeddings only, as the peers' encode() returns, batch
        // by batch (one call for all, as sentence-transformers' encode(sentences, batch_size)).
        let run = try timed {
            let ids = captions.map(encoder.tokenize)
            _ = try encoder.pooledEmbeddings(ids: ids, batchSize: batch)
            tokenCount = ids.reduce(0) { $0 + $1.count }
        }
        let rate = Double(captions.count) / run.seconds
        var result = common(entry, run, n: captions.count)
        result.sentencesPerSecond = rate
        result.tokensPerSecond = Double(tokenCount) / run.seconds
        result.meanTokens = Double(tokenCount) / Double(captions.count)
        if output.json {
            try Output.json(result)
        } else {
            print(String(format: "%@: %d captions (%.1f tokens each), batch %d, %d threads: %.1f sentences/s (best of %d, %.3f s)",
                         entry.name, captions.count, Double(tokenCount) / Double(captions.count), batch,
                         ComputeThreads.count, rate, `repeat`, run.seconds))
            print(String(format: "GEMM: %.0f%% of thread time, %.1f GFLOP/s per calling thread",
                         100 * result.gemmShare, result.gemmGFLOPSPerThread))
            print("OpenBLAS: \(BLASInfo.configuration)")
        }
    }

    private func benchVision(_ encoder: any VisionEncoder, preprocessor: ImagePreprocessor?, entry: EncoderEntry) throws {
        let urls = images.isEmpty && input == nil ? [] : try ImageInput.urls(images: images, input: input)
        let cycle = urls.isEmpty ? [] : (0..<n).map { urls[$0 % urls.count] }
        // Model only: one preprocessed batch (from the images, else random pixels) encoded n/batch times.
        let pixels: Tensor
        if let preprocessor, !urls.isEmpty {
            do { pixels = try preprocessor.batch(contentsOf: Array(cycle.prefix(batch))) } catch { throw ZooError.image(error) }
        } else {
            let side = size ?? preprocessor?.configuration.cropHeight ?? 224
            var generator = SystemRandomNumberGenerator()
            pixels = Tensor(shape: [batch, 3, side, side],
                            scalars: (0..<batch * 3 * side * side).map { _ in Float.random(in: -2...2, using: &generator) })
        }
        let batches = max(1, n / batch)
        _ = try encoder.encode(pixels: pixels)  // warm-up
        let modelRun = try timed { for _ in 0..<batches { _ = try encoder.encode(pixels: pixels) } }
        var result = common(entry, modelRun, n: batches * batch)
        let modelOnly = Double(batches * batch) / modelRun.seconds
        result.imagesPerSecondModelOnly = modelOnly
        result.imageSize = Array(pixels.shape.dropFirst())
        if let preprocessor, !cycle.isEmpty {
            let fullRun = try timed {
                let loader = ImageBatchLoader(urls: cycle, preprocessor: preprocessor, batchSize: batch)
                while let next = try loader.next() { _ = try encoder.encode(pixels: next.pixels) }
            }
            result.imagesPerSecondWithPreprocessing = Double(cycle.count) / fullRun.seconds
        }
        if output.json {
            try Output.json(result)
        } else {
            print(String(format: "%@: batch %d of %@, %d threads: %.1f images/s model only",
                         entry.name, batch, "\(Array(pixels.shape.dropFirst()))", ComputeThreads.count,
                         modelOnly))
            if let full = result.imagesPerSecondWithPreprocessing {
                print(String(format: "with decoding and preprocessing (%d files): %.1f images/s", urls.count, full))
            }
            print(String(format: "GEMM: %.0f%% of thread time, %.1f GFLOP/s per calling thread",
                         100 * result.gemmShare, result.gemmGFLOPSPerThread))
            print("OpenBLAS: \(BLASInfo.configuration)")
        }
    }
}

/// JSON shape of `zoo bench encode`: the figures of every run, then those of a text encoder
/// (sentences, tokens) or of a vision encoder (images; with preprocessing only when images
/// were given). The other modality's keys are left out.
struct BenchEncodeJSON: Encodable {
    let encoder: String
    let batch: Int
    let threads: Int
    /// Wall time of the best timed pass.
    let seconds: Double
    /// Share of the thread time spent in GEMM.
    let gemmShare: Double
    let gemmGFLOPSPerThread: Double
    let openblas: String
    /// `OPENBLAS_CORETYPE` from the environment; null when unset.
    @NullWhenNil var openblasCoretype: String?
    /// Captions or images per timed pass.
    let n: Int
    var sentencesPerSecond: Double?
    var tokensPerSecond: Double?
    var meanTokens: Double?
    var imagesPerSecondModelOnly: Double?
    /// [3, H, W] of the encoded pixels.
    var imageSize: [Int]?
    var imagesPerSecondWithPreprocessing: Double?

    enum CodingKeys: String, CodingKey {
        case encoder, batch, threads, seconds, openblas, n
        case gemmShare = "gemm_share"
        case gemmGFLOPSPerThread = "gemm_gflops_per_thread"
        case openblasCoretype = "openblas_coretype"
        case sentencesPerSecond = "sentences_per_second"
        case tokensPerSecond = "tokens_per_second"
        case meanTokens = "mean_tokens"
        case imagesPerSecondModelOnly = "images_per_second_model_only"
        case imageSize = "image_size"
        case imagesPerSecondWithPreprocessing = "images_per_second_with_preprocessing"
    }
}

/// `zoo bench gemm`: the BLAS peak on this machine, for judging how near it the encoders run.
struct BenchGEMM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm", abstract: "GFLOP/s of one SGEMM C[M,N] = A[M,K] · B[K,N]ᵀ through OpenBLAS (B stored [N,K], as linear layers use it).")

    @Option(help: "Rows of A and C.") var m = 2048
    @Option(help: "Columns of C.") var n = 1536
    @Option(help: "Inner dimension.") var k = 384
    @Option(help: "Threads for BLAS (default: OpenBLAS's).") var threads: Int?
    @Option(help: "Timed repetitions; the best is reported.") var `repeat` = 20
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard m >= 1, n >= 1, k >= 1, `repeat` >= 1 else { throw ValidationError("sizes and --repeat must be at least 1") }
    }

    func run() throws {
        if let threads { ComputeThreads.set(max(1, threads)) }
        let a = [Float](repeating: 0.5, count: m * k)
        let b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for index in 0...`repeat` {
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        BLAS.sgemm(transposeB: true, m: m, n: n, k: k, a: a.baseAddress!, lda: k,
                                   b: b.baseAddress!, ldb: k, c: c.baseAddress!, ldc: n)
                    }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if index > 0 { best = min(best, seconds) }  // the first call warms up
        }
        let gflops = 2.0 * Double(m) * Double(n) * Double(k) / best / 1e9
        if output.json {
            try Output.json(BenchGEMMJSON(m: m, n: n, k: k, threads: ComputeThreads.count, seconds: best,
                                          gflops: gflops, openblas: BLASInfo.configuration))
        } else {
            print(String(format: "SGEMM %dx%dx%d, %d threads: %.1f GFLOP/s (best of %d, %.2f ms)",
                         m, n, k, ComputeThreads.count, gflops, `repeat`, best * 1e3))
            print("OpenBLAS: \(BLASInfo.configuration)")
        }
    }
}

/// JSON shape of `zoo bench gemm`.
struct BenchGEMMJSON: Encodable {
    let m: Int
    let n: Int
    let k: Int
    let threads: Int
    /// The best time of one SGEMM.
    let seconds: Double
    let gflops: Double
    let openblas: String
}
