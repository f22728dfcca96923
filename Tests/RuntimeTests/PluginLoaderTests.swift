import Foundation
import Plugins
import Runtime
import Testing

/// Builds plugin libraries with the system C compiler into a temporary folder.
final class PluginBuilder {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let include = repository.appendingPathComponent("Sources/CZooPlugin/include")
    static let example = repository.appendingPathComponent("Examples/pixel-stats-plugin")
    static let exampleModel = example.appendingPathComponent("model")

    let folder: URL

    init() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-plugin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Compiles `source` (a C file) with `defines` into `lib<name>.so` and returns its path.
    func build(_ source: URL, name: String, defines: [String] = []) throws -> String {
        let output = folder.appendingPathComponent("lib\(name).so").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-std=c11", "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-I", Self.include.path]
            + defines.map { "-D" + $0 } + ["-o", output, source.path, "-lm"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BuildFailure(message: message) }
        return output
    }

    /// Builds the example plugin.
    func buildExample() throws -> String {
        try build(Self.example.appendingPathComponent("pixel_stats.c"), name: "zoo_pixel_stats")
    }

    /// Builds the test plugin of `FakePlugin.source` with `defines`.
    func buildFake(_ name: String, defines: [String] = []) throws -> String {
        let source = folder.appendingPathComponent("fake.c")
        if !FileManager.default.fileExists(atPath: source.path) {
            try Data(FakePlugin.source.utf8).write(to: source)
        }
        return try build(source, name: name, defines: defines)
    }

    struct BuildFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { "cc failed: \(message)" }
    }
}

/// A configurable plugin for the failure cases: each `-D` switch breaks one rule of the ABI.
enum FakePlugin {
    static let source = #"""
    #include "zoo_plugin.h"
    #include <math.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>

    #ifndef ABI
    #define ABI ZOO_PLUGIN_ABI_VERSION
    #endif
    #ifndef NAME
    #define NAME "fake"
    #endif
    #ifndef MODALITY
    #define MODALITY "vision"
    #endif
    #define WIDTH 4
    #define MAX_TOKENS 6

    typedef struct fake { char error[128]; } fake;

    static void *create(const char *folder, char *error, size_t capacity) {
    #ifdef FAIL_CREATE
        snprintf(error, capacity, "the weights in %s are corrupt", folder);
        return NULL;
    #else
        (void)folder; (void)error; (void)capacity;
        return calloc(1, sizeof(fake));
    #endif
    }

    static int describe(void *model, zoo_plugin_model_info *info) {
        (void)model;
        info->pooled_width = WIDTH;
    #ifdef BAD_DESCRIBE
        info->token_width = -3;
    #else
        info->token_width = WIDTH;
    #endif
        info->max_tokens = strcmp(MODALITY, "text") == 0 ? MAX_TOKENS : 0;
        info->patch_size = 0;
        info->register_count = 0;
        return ZOO_PLUGIN_OK;
    }

    static int image_tokens(void *model, int64_t c, int64_t h, int64_t w, int64_t *count) {
        (void)model; (void)c; (void)h; (void)w;
        *count = 2;
        return ZOO_PLUGIN_OK;
    }

    /* Token t of image i is [first pixel, t, 1, 0]; pooled is the first pixel + d. */
    __attribute__((unused))
    static int encode_images(void *model, const float *pixels, int64_t n, int64_t c, int64_t h, int64_t w,
                             zoo_plugin_output *out) {
    #ifdef FAIL_ENCODE
        (void)pixels; (void)n; (void)c; (void)h; (void)w; (void)out;
        strcpy(((fake *)model)->error, "the accelerator fell off the bus");
        return 7;
    #else
        (void)model;
        for (int64_t i = 0; i < n; i++) {
            float first = pixels[i * c * h * w];
            for (int64_t d = 0; d < WIDTH; d++) out->pooled[i * WIDTH + d] = first + (float)d;
            for (int64_t t = 0; t < 2; t++) {
                float *row = out->tokens + (i * 2 + t) * WIDTH;
                row[0] = first; row[1] = (float)t; row[2] = 1; row[3] = 0;
            }
            out->token_lengths[i] = 2;
        }
        out->pooled_width = WIDTH;
        out->token_count = out->token_capacity;
        out->token_width = WIDTH;
    #ifdef WRONG_WIDTH
        out->pooled_width = WIDTH + 1;
    #endif
    #ifdef NO_SIZES
        out->pooled_width = -1;
    #endif
    #ifdef WRONG_LENGTH
        out->token_lengths[0] = 3;
    #endif
    #ifdef OVERRUN
        out->pooled[out->pooled_capacity + 2] = 1;
    #endif
    #ifdef NAN_OUTPUT
        out->pooled[0] = NAN;
    #endif
        return ZOO_PLUGIN_OK;
    #endif
    }

    /* Text i yields min(bytes, MAX_TOKENS) tokens (at least 1): token t is [byte t, t, bytes, 1];
       pooled is [bytes, n, 0, 1]. */
    static int encode_texts(void *model, const char *const *texts, const int64_t *sizes, int64_t n,
                            zoo_plugin_output *out) {
        (void)model;
        for (int64_t i = 0; i < n; i++) {
            int64_t length = sizes[i] < 1 ? 1 : sizes[i] > out->token_capacity ? out->token_capacity : sizes[i];
            for (int64_t t = 0; t < length; t++) {
                float *row = out->tokens + (i * out->token_capacity + t) * WIDTH;
                row[0] = t < sizes[i] ? (float)(unsigned char)texts[i][t] : 0;
                row[1] = (float)t; row[2] = (float)sizes[i]; row[3] = 1;
            }
            float *pooled = out->pooled + i * WIDTH;
            pooled[0] = (float)sizes[i]; pooled[1] = (float)n; pooled[2] = 0; pooled[3] = 1;
            out->token_lengths[i] = length;
        }
        out->pooled_width = WIDTH;
        out->token_count = out->token_capacity;
        out->token_width = WIDTH;
        return ZOO_PLUGIN_OK;
    }

    static const char *last_error(void *model) { return ((fake *)model)->error; }
    static void destroy(void *model) { free(model); }

    static const zoo_plugin_api_v1 table = {
        .abi_version = ABI,
        .struct_size = sizeof(zoo_plugin_api_v1),
        .name = NAME,
        .modality = MODALITY,
        .description = "a plugin for zoo's tests",
        .create = create,
        .describe = describe,
        .image_tokens = image_tokens,
    #ifdef NULL_ENCODE
        .encode_images = NULL,
    #else
        .encode_images = encode_images,
    #endif
        .encode_texts = encode_texts,
        .last_error = last_error,
        .destroy = destroy,
    };

    #ifdef NO_ENTRY
    ZOO_PLUGIN_EXPORT const zoo_plugin_api_v1 *zoo_plugin_entry(void) { return &table; }
    #else
    ZOO_PLUGIN_EXPORT const zoo_plugin_api_v1 *zoo_plugin_v1(void) { return &table; }
    #endif
    """#
}

@Suite("External plugin loader")
struct PluginLoaderTests {
    let builder: PluginBuilder

    init() throws { builder = try PluginBuilder() }

    /// The error `PluginLibrary(path:)` throws for `path`.
    func loadError(_ path: String) -> PluginError? {
        do { _ = try PluginLibrary(path: path) } catch { return error }
        return nil
    }

    /// The message of the error `body` throws.
    func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    @Test("the example plugin loads as a vision backend and inspects its model folder")
    func exampleLoads() throws {
        let library = try PluginLibrary(path: try builder.buildExample())
        #expect(library.name == "pixel_stats")
        #expect(library.modality == .vision)
        #expect(library.abiVersion == 1)
        #expect(library.backendID == "plugin:pixel_stats")
        #expect(!library.summary.isEmpty)
        let backend = library.backend()
        #expect(backend is PluginVisionBackend)
        #expect(backend.id == "plugin:pixel_stats")
        #expect(backend.modelTypes.isEmpty)
        #expect(try backend.inspect(folder: PluginBuilder.exampleModel) == CheckpointInspection(pooledWidth: 32, tokenWidth: 32))
    }

    @Test("the example plugin's tokens and pooled embedding match the same formula computed in Swift")
    func exampleMatchesReference() throws {
        let backend = try #require(try PluginLibrary(path: try builder.buildExample()).backend() as? PluginVisionBackend)
        let encoder = try backend.loadVisionEncoder(folder: PluginBuilder.exampleModel)
        #expect(encoder.width == 32)
        #expect(encoder.registerCount == 0)
        let (count, height, width) = (2, 20, 27)
        var scalars = [Float]()
        for index in 0..<count * 3 * height * width {
            scalars.append(Float(2.2 * sin(Double(index) * 0.37) + 0.3 * cos(Double(index) * 0.011)))
        }
        let pixels = Tensor(shape: [count, 3, height, width], scalars: scalars)
        let encoding = try encoder.encode(pixels: pixels)
        let projection = try SafeTensorsFile(url: PluginBuilder.exampleModel.appendingPathComponent("model.safetensors"))
            .floats("projection")
        let reference = PixelStatsReference(projection: projection, width: 32, grid: 8)
        #expect(encoding.tokens.shape == [count, 65, 32])
        #expect(encoding.pooled.shape == [count, 32])
        for image in 0..<count {
            let expected = reference.encode(Array(scalars[image * 3 * height * width..<(image + 1) * 3 * height * width]),
                                            height: height, width: width)
            let tokens = Array(encoding.tokens.scalars[image * 65 * 32..<(image + 1) * 65 * 32])
            let pooled = Array(encoding.pooled.scalars[image * 32..<(image + 1) * 32])
            #expect(zip(tokens, expected.tokens).allSatisfy { abs(Double($0) - $1) < 1e-4 })
            #expect(zip(pooled, expected.pooled).allSatisfy { abs(Double($0) - $1) < 1e-5 })
            #expect(abs(pooled.reduce(0) { $0 + Double($1) * Double($1) } - 1) < 1e-5)
        }
        // An empty batch gives empty tensors without calling encode_images.
        let empty = try encoder.encode(pixels: Tensor(shape: [0, 3, 64, 64]))
        #expect(empty.tokens.shape == [0, 65, 32])
    }

    @Test("the example plugin's own failures reach the caller with its text")
    func exampleFailures() throws {
        let library = try PluginLibrary(path: try builder.buildExample())
        let encoder = try #require(library.backend() as? PluginVisionBackend).loadVisionEncoder(folder: PluginBuilder.exampleModel)
        let channels = message { _ = try encoder.encode(pixels: Tensor(shape: [1, 4, 64, 64])) }
        #expect(channels?.contains("plugin 'pixel_stats'") == true)
        #expect(channels?.contains("takes 3 channels (RGB), got 4") == true)
        let small = message { _ = try encoder.encode(pixels: Tensor(shape: [1, 3, 4, 64])) }
        #expect(small?.contains("smaller than the 8x8 grid") == true)
        let rank = message { _ = try encoder.encode(pixels: Tensor(shape: [3, 64, 64])) }
        #expect(rank?.contains("[N, channels, height, width]") == true)

        // A folder whose config disagrees with the weights: create fails with the plugin's reason.
        let folder = builder.folder.appendingPathComponent("model")
        try FileManager.default.copyItem(at: PluginBuilder.exampleModel, to: folder)
        try Data(#"{"model_type": "pixel_stats", "hidden_size": 16}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        let created = message { _ = try library.backend().inspect(folder: folder) }
        #expect(created?.contains("plugin 'pixel_stats' could not load the model in '\(folder.path)'") == true)
        #expect(created?.contains("hidden_size is 16 but 'projection' has 32 rows") == true)
    }

    @Test("a file that is not a shared library is refused, naming the file")
    func notASharedLibrary() throws {
        let text = builder.folder.appendingPathComponent("notes.so")
        try Data("not a library\n".utf8).write(to: text)
        let error = try #require(loadError(text.path))
        guard case .notLoadable(let path, _) = error else { Issue.record("got \(error)"); return }
        #expect(path == text.path)
        #expect(error.description.contains("shared library"))
        #expect(loadError(builder.folder.appendingPathComponent("missing.so").path) != nil)
    }

    @Test("a library without the entry point is refused")
    func noEntryPoint() throws {
        let path = try builder.buildFake("noentry", defines: ["NO_ENTRY"])
        #expect(loadError(path) == .missingEntryPoint(path: path))
        #expect(loadError(path)?.description.contains("zoo_plugin_v1") == true)
    }

    @Test("a plugin of another ABI version is refused before its table is read")
    func otherABIVersion() throws {
        let path = try builder.buildFake("abi2", defines: ["ABI=2"])
        #expect(loadError(path) == .abiMismatch(path: path, found: 2, supported: 1))
        #expect(loadError(path)?.description.contains("ABI version 2") == true)
    }

    @Test("a bad name, a bad modality and a missing function are refused", arguments: [
        ("NAME=\"Bad Name\"", "is named 'Bad Name'"),
        ("MODALITY=\"audio\"", "modality 'audio'"),
        ("NULL_ENCODE", "leaves 'encode_images' NULL"),
    ])
    func invalidTable(define: String, expected: String) throws {
        let path = try builder.buildFake("table", defines: [define])
        let error = try #require(loadError(path))
        #expect(error.description.contains(expected), "\(error)")
    }

    @Test("create's failure message reaches the error, naming the plugin")
    func createFails() throws {
        let library = try PluginLibrary(path: try builder.buildFake("fail_create", defines: ["FAIL_CREATE"]))
        let text = message { _ = try library.backend().inspect(folder: builder.folder) }
        #expect(text == "plugin 'fake' could not load the model in '\(builder.folder.path)': the weights in \(builder.folder.path) are corrupt")
    }

    @Test("encode's failure message reaches the error, naming the plugin and the function")
    func encodeFails() throws {
        let library = try PluginLibrary(path: try builder.buildFake("fail_encode", defines: ["FAIL_ENCODE"]))
        let encoder = try #require(library.backend() as? PluginVisionBackend).loadVisionEncoder(folder: builder.folder)
        let text = message { _ = try encoder.encode(pixels: Tensor(shape: [1, 3, 8, 8])) }
        #expect(text == "plugin 'fake' failed in encode_images (code 7): the accelerator fell off the bus")
    }

    @Test("output that breaks the ABI is caught, never trusted", arguments: [
        ("WRONG_WIDTH", "reported pooled_width = 5, but describe's pooled_width is 4"),
        ("NO_SIZES", "reported pooled_width = -1"),
        ("WRONG_LENGTH", "item 0 has token length 3, but every image yields exactly 2 tokens"),
        ("OVERRUN", "wrote past the end of the 'pooled' buffer"),
        ("NAN_OUTPUT", "pooled embedding 0 holds nan"),
    ])
    func wrongOutput(define: String, expected: String) throws {
        let library = try PluginLibrary(path: try builder.buildFake("bad_\(define.lowercased())", defines: [define]))
        let encoder = try #require(library.backend() as? PluginVisionBackend).loadVisionEncoder(folder: builder.folder)
        let text = try #require(message { _ = try encoder.encode(pixels: Tensor(shape: [2, 3, 8, 8], repeating: 0.5)) })
        #expect(text.hasPrefix("plugin 'fake' returned output zoo cannot trust: "), "\(text)")
        #expect(text.contains(expected), "\(text)")
    }

    @Test("sizes from describe outside the rules are refused when the model is created")
    func badDescribe() throws {
        let library = try PluginLibrary(path: try builder.buildFake("bad_describe", defines: ["BAD_DESCRIBE"]))
        let text = message { _ = try library.backend().inspect(folder: builder.folder) }
        #expect(text?.contains("plugin 'fake' reported token_width = -3") == true)
    }

    @Test("a well-behaved fake vision plugin's output arrives intact")
    func fakeVision() throws {
        let library = try PluginLibrary(path: try builder.buildFake("good"))
        let encoder = try #require(library.backend() as? PluginVisionBackend).loadVisionEncoder(folder: builder.folder)
        var pixels = Tensor(shape: [2, 3, 8, 8], repeating: 0)
        pixels[0, 0, 0, 0] = 1.5
        pixels[1, 0, 0, 0] = -2
        let encoding = try encoder.encode(pixels: pixels)
        #expect(encoding.pooled == Tensor(shape: [2, 4], scalars: [1.5, 2.5, 3.5, 4.5, -2, -1, 0, 1]))
        #expect(encoding.tokens == Tensor(shape: [2, 2, 4], scalars: [1.5, 0, 1, 0, 1.5, 1, 1, 0, -2, 0, 1, 0, -2, 1, 1, 0]))
    }

    @Test("a text plugin tokenizes internally: lengths, mask, padding and pooled come from its output")
    func textPlugin() throws {
        let library = try PluginLibrary(path: try builder.buildFake("text", defines: ["MODALITY=\"text\"", "NAME=\"bytes\""]))
        let backend = try #require(library.backend() as? PluginTextBackend)
        #expect(backend.modality == .text)
        #expect(try backend.inspect(folder: builder.folder) == CheckpointInspection(pooledWidth: 4, tokenWidth: 4))
        let encoder = try backend.loadTextEncoder(folder: builder.folder)
        #expect(encoder.maxLength == 6)
        #expect(encoder.tokenize("hé") == [104, 195, 169])
        let encoding = try encoder.encode(["ab", "a longer text", ""])
        #expect(encoding.lengths == [2, 6, 1])
        #expect(encoding.tokens.shape == [3, 6, 4])
        #expect(encoding.mask == [1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
        #expect(encoding.pooled == Tensor(shape: [3, 4], scalars: [2, 3, 0, 1, 13, 3, 0, 1, 0, 3, 0, 1]))
        #expect(Array(encoding.tokens.scalars[0..<8]) == [97, 0, 2, 1, 98, 1, 2, 1])
        #expect(encoding.tokens.scalars[8..<24].allSatisfy { $0 == 0 })
        let ids = message { _ = try encoder.encode(ids: [[300]]) }
        #expect(ids?.contains("UTF-8 bytes") == true)
    }

    @Test("one encoder used from several threads gives the same results as one thread")
    func concurrentCalls() async throws {
        let backend = try #require(try PluginLibrary(path: try builder.buildExample()).backend() as? PluginVisionBackend)
        let encoder = try backend.loadVisionEncoder(folder: PluginBuilder.exampleModel)
        let pixels = Tensor(shape: [1, 3, 32, 32], scalars: (0..<3 * 32 * 32).map { Float(($0 * 7919) % 97) / 24 - 2 })
        let expected = try encoder.encode(pixels: pixels)
        let results = try await withThrowingTaskGroup(of: VisionEncoding.self) { group in
            for _ in 0..<8 { group.addTask { try encoder.encode(pixels: pixels) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0.pooled == expected.pooled && $0.tokens == expected.tokens })
    }
}

/// The example plugin's formula, written again in Swift (double precision) as the reference.
struct PixelStatsReference {
    let projection: [Float]
    let width: Int
    let grid: Int

    /// Tokens `[1 + grid², width]` (whole image, then the cells row by row) and the pooled embedding.
    func encode(_ image: [Float], height: Int, width imageWidth: Int) -> (tokens: [Double], pooled: [Double]) {
        var tokens = project(features(image, height, imageWidth, 0..<height, 0..<imageWidth))
        var sum = [Double](repeating: 0, count: width)
        for row in 0..<grid {
            for column in 0..<grid {
                let rows = row * height / grid..<(row + 1) * height / grid
                let columns = column * imageWidth / grid..<(column + 1) * imageWidth / grid
                let token = project(features(image, height, imageWidth, rows, columns))
                tokens += token
                for d in 0..<width { sum[d] += token[d] }
            }
        }
        let mean = sum.map { $0 / Double(grid * grid) }
        let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return (tokens, mean.map { $0 / norm })
    }

    private func features(_ image: [Float], _ height: Int, _ imageWidth: Int, _ rows: Range<Int>, _ columns: Range<Int>) -> [Double] {
        var stats = [Double]()
        var histograms = [Double]()
        let count = Double(rows.count * columns.count)
        for channel in 0..<3 {
            var values = [Double]()
            for y in rows { for x in columns { values.append(Double(image[(channel * height + y) * imageWidth + x])) } }
            let mean = values.reduce(0, +) / count
            let variance = values.reduce(0) { $0 + $1 * $1 } / count - mean * mean
            stats += [mean, max(variance, 0).squareRoot()]
            let edges: [Double] = [-1, 0, 1]
            var bins = [Double](repeating: 0, count: 4)
            for value in values { bins[edges.firstIndex { value < $0 } ?? 3] += 1 }
            histograms += bins.map { $0 / count }
        }
        return stats + histograms
    }

    private func project(_ features: [Double]) -> [Double] {
        (0..<width).map { d in
            (0..<features.count).reduce(0) { $0 + Double(projection[d * features.count + $1]) * features[$1] }
        }
    }
}
