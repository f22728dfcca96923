import Foundation
import Testing
@testable import Runtime

@Suite("Embedding cache")
struct EmbeddingCacheTests {
    private func temporaryFolder() -> URL {
        URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-cache-\(UUID().uuidString)")
    }

    private func values(_ seed: Int, _ count: Int) -> [Float] {
        (0..<count).map { Float(sin(Double(seed * 31 + $0))) * 3 }
    }

    @Test("f32 round trip is exact, with packed variable-length tokens, across several segments")
    func roundTrip() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let layout = EmbeddingCacheLayout(pooledWidth: 4, tokenWidth: 3, tokens: true, dtype: .f32)
        let writer = try EmbeddingCacheWriter(folder: folder, layout: layout, label: "s0of1", itemsPerSegment: 3)
        for item in 0..<7 {
            let pooled = values(item, 4)
            let tokens = values(item + 100, 3 * (item % 3 + 1))
            try pooled.withUnsafeBufferPointer { p in
                try tokens.withUnsafeBufferPointer { t in try writer.append(id: "item-\(item)", pooled: p, tokens: t) }
            }
        }
        try writer.finish()
        let cache = try EmbeddingCache(folder: folder)
        #expect(cache.count == 7)
        #expect(cache.segmentNames.count == 3)
        for item in 0..<7 {
            let location = try #require(cache.location(of: "item-\(item)"))
            #expect(location.tokenCount == item % 3 + 1)
            var pooled = [Float](repeating: 0, count: 4)
            pooled.withUnsafeMutableBufferPointer { cache.copyPooled(location, to: $0.baseAddress!) }
            #expect(pooled == values(item, 4))
            var tokens = [Float](repeating: 0, count: 3 * location.tokenCount)
            tokens.withUnsafeMutableBufferPointer { cache.copyTokens(location, to: $0.baseAddress!) }
            #expect(tokens == values(item + 100, 3 * (item % 3 + 1)))
        }
        #expect(!cache.contains("item-7"))
    }

    @Test("f16 stores half floats; a second writer adds segments; another layout is refused")
    func halfAndResume() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let layout = EmbeddingCacheLayout(pooledWidth: 5, tokenWidth: 0, tokens: false, dtype: .f16)
        for (label, range) in [("s0of2", 0..<4), ("s1of2", 2..<9)] {
            let writer = try EmbeddingCacheWriter(folder: folder, layout: layout, label: label)
            for item in range {
                try values(item, 5).withUnsafeBufferPointer { try writer.append(id: "\(item)", pooled: $0) }
            }
            try writer.finish()
        }
        let cache = try EmbeddingCache(folder: folder)
        #expect(cache.count == 9)
        for item in 0..<9 {
            var pooled = [Float](repeating: 0, count: 5)
            pooled.withUnsafeMutableBufferPointer { cache.copyPooled(cache.location(of: "\(item)")!, to: $0.baseAddress!) }
            for (got, want) in zip(pooled, values(item, 5)) { #expect(abs(got - want) <= abs(want) * 1e-3 + 1e-4) }
        }
        let other = EmbeddingCacheLayout(pooledWidth: 6, tokenWidth: 0, tokens: false, dtype: .f16)
        #expect(throws: EmbeddingCacheError.self) { _ = try EmbeddingCacheWriter(folder: folder, layout: other, label: "x") }
    }

    @Test("a segment whose shapes disagree with cache.json is refused, naming it")
    func badSegment() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let layout = EmbeddingCacheLayout(pooledWidth: 2, tokenWidth: 0, tokens: false, dtype: .f32)
        _ = try EmbeddingCacheWriter(folder: folder, layout: layout, label: "a")
        var writer = SafeTensorsWriter(metadata: ["ids": #"["a","b"]"#])
        try writer.add("pooled", floats: [1, 2, 3], shape: [1, 3])
        try writer.write(to: folder.appendingPathComponent("seg-bad.safetensors"))
        do {
            _ = try EmbeddingCache(folder: folder)
            Issue.record("a bad segment was accepted")
        } catch {
            #expect(error.message.contains("seg-bad.safetensors"))
            #expect(error.kind == .data)
        }
        #expect(throws: EmbeddingCacheError.self) { _ = try EmbeddingCache(folder: folder.appendingPathComponent("none")) }
    }
}
