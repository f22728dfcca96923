import Foundation
import Runtime
import Testing

/// `ZOO_VECTOR_LANES` through the real binary: values this CPU cannot honour are exit 64, and
/// every fused kernel copy (AVX-512, AVX2+FMA; the portable one where it fuses) writes the same
/// bytes for text and image embeddings. The portable copy on x86-64 rounds products separately
/// and must agree within rounding.
@Suite("Kernel paths through the CLI")
struct CLIKernelPathTests {
    @Test("ZOO_VECTOR_LANES: nonsense, a width this CPU lacks, and no width at all are exit 64 naming the variable")
    func refusedValues() throws {
        let zoo = ZooRunner()
        var refused = ["32", "avx2", " 8", "8x", "-4"]
        if !KernelPath.supported.contains(16) { refused.append("16") }
        if !KernelPath.supported.contains(8) { refused.append("8") }
        for value in refused {
            let result = try zoo.run(["backends"], environment: ["ZOO_VECTOR_LANES": value])
            #expect(result.status == 64, "ZOO_VECTOR_LANES=\(value): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("ZOO_VECTOR_LANES=\(value)") && result.stderr.contains("this CPU supports"),
                    "\(result.stderr)")
            #expect(!result.stderr.contains("Illegal instruction") && !result.stderr.contains("Fatal error"))
        }
        for value in [""] + KernelPath.supported.map(String.init) {
            let result = try zoo.run(["backends"], environment: ["ZOO_VECTOR_LANES": value])
            #expect(result.status == 0, "ZOO_VECTOR_LANES=\(value): \(result.stderr)")
        }
    }

    /// Runs `zoo encode` with each supported copy forced and returns the output files' bytes.
    static func outputs(
        _ zoo: ZooRunner, name: String, inputs: [String], tag: String
    ) throws -> [(lanes: Int, bytes: Data)] {
        try KernelPath.supported.map { lanes in
            let file = zoo.scratch.appendingPathComponent("\(tag)-\(lanes).safetensors")
            let result = try zoo.run(["encode", name] + inputs + ["--tokens", "--batch", "7", "--output", file.path],
                                     environment: ["ZOO_VECTOR_LANES": String(lanes)])
            #expect(result.status == 0, "lanes \(lanes): \(result.stderr)")
            return (lanes, try Data(contentsOf: file))
        }
    }

    /// Every fused copy's file equals the widest one's byte for byte; others agree within rounding.
    static func compare(_ outputs: [(lanes: Int, bytes: Data)], what: String) throws {
        let reference = try #require(outputs.first)
        let expected = try SafeTensorsFile(bytes: reference.bytes).floats("embeddings")
        for output in outputs.dropFirst() {
            if KernelPath.fusesMultiplyAdds(lanes: output.lanes) {
                #expect(output.bytes == reference.bytes, "\(what): lanes \(output.lanes) against \(reference.lanes) differ")
            } else {
                let got = try SafeTensorsFile(bytes: output.bytes).floats("embeddings")
                let scale = expected.map(abs).max() ?? 1
                let difference = zip(got, expected).map { abs($0 - $1) }.max() ?? .nan
                #expect(difference <= 1e-4 * scale, "\(what): lanes \(output.lanes) (unfused) differs by \(difference)")
            }
        }
    }

    @Test("text: the same embedding and token-state bytes from every fused copy, short and long sequences")
    func textAcrossPaths() throws {
        let zoo = ZooRunner()
        let model = CLITextEncoderTests.miniLM ?? CLITextEncoderTests.fixtures.appendingPathComponent("models/tiny-bert")
        #expect(try zoo.run(["encoder", "add", "text", "--from", model.path, "--link"]).status == 0)
        // The parity sentences, plus two long enough (over 64 tokens) for the GEMM attention path.
        var texts = try CLITextEncoderTests.reference("tiny-bert").texts
        texts.append(String(repeating: "a long caption with many words in it ", count: 12))
        texts.append(String(repeating: "zebras graze ", count: 40))
        let input = zoo.scratch.appendingPathComponent("texts.jsonl")
        try CLITextEncoderTests.jsonLines(texts, to: input)
        try Self.compare(Self.outputs(zoo, name: "text", inputs: ["--input", input.path], tag: "text"), what: "text")
    }

    @Test("images: the same DINOv2 embedding and token bytes from every fused copy")
    func imagesAcrossPaths() throws {
        let zoo = ZooRunner()
        let vision = CLITextEncoderTests.fixtures.appendingPathComponent("vision")
        let model = vision.appendingPathComponent("models/dinov2-registers")
        #expect(try zoo.run(["encoder", "add", "vit", "--from", model.path, "--link"]).status == 0)
        let images = try FileManager.default.contentsOfDirectory(atPath: vision.appendingPathComponent("images").path)
            .sorted().map { vision.appendingPathComponent("images/\($0)").path }
        try Self.compare(Self.outputs(zoo, name: "vit", inputs: ["--images"] + images, tag: "vit"), what: "images")
    }
}
