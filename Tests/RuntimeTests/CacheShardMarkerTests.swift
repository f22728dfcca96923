import Foundation
import Testing
@testable import Runtime

@Suite("Cache shard markers and labels")
struct CacheShardMarkerTests {
    @Test("labels and file names parse back; other names are not shards")
    func names() {
        #expect(ShardLabel.make(index: 3, count: 40) == "s3of40")
        #expect(ShardLabel.parse("s3of40")! == (3, 40))
        for bad in ["s4of4", "s-1of4", "sxof4", "s1of0", "merged", "s1of", "of4"] {
            #expect(ShardLabel.parse(bad) == nil, "\(bad)")
        }
        #expect(ShardLabel.segmentLabel("seg-s2of4-1a2b3c4d-00001.safetensors") == "s2of4")
        #expect(ShardLabel.segmentLabel("seg-merged-1a2b3c4d-00012.safetensors") == "merged")
        #expect(ShardLabel.segmentLabel(".seg-s2of4-1a2b3c4d-00001.safetensors.tmp-x") == nil)
        #expect(ShardLabel.segmentLabel("seg-broken.safetensors") == nil)
        #expect(CacheShardMarker.fileName(shard: 2, of: 4) == "done-s2of4.json")
        #expect(CacheShardMarker.shard(ofFileName: "done-s2of4.json")! == (2, 4))
        #expect(CacheShardMarker.shard(ofFileName: CacheShardMarker.mergedName) == nil)
    }

    @Test("a marker round-trips through its file; a damaged one is a data error naming it")
    func roundTrip() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-marker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let layout = EmbeddingCacheLayout(pooledWidth: 8, tokenWidth: 0, tokens: false, dtype: .f16)
        let marker = CacheShardMarker(
            shard: 1, shards: 4, items: 10, failed: 1, encoderDigest: "e", datasetDigest: "d", zooVersion: "0.1.0", layout: layout,
            segments: [.init(name: "seg-s1of4-a-00001.safetensors", bytes: 100, sha256: "f", items: 10)])
        let url = folder.appendingPathComponent(CacheShardMarker.fileName(shard: 1, of: 4))
        try marker.write(to: url)
        #expect(try CacheShardMarker.read(url) == marker)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("\"encoder_digest\":\"e\"") && text.contains("\"zoo_version\":\"0.1.0\""))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [url.lastPathComponent])
        try Data("{".utf8).write(to: url)
        let error = #expect(throws: EmbeddingCacheError.self) { try CacheShardMarker.read(url) }
        #expect(error?.kind == .data)
        #expect(error?.message.contains(url.path) == true)
    }

    @Test("segments carry the writer's metadata besides their ids")
    func segmentMetadata() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-marker-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let layout = EmbeddingCacheLayout(pooledWidth: 2, tokenWidth: 0, tokens: false, dtype: .f32)
        let writer = try EmbeddingCacheWriter(folder: folder, layout: layout, label: "s0of2", segmentMetadata: ["encoder_digest": "abc", "ids": "ignored"])
        let values: [Float] = [1, 2]
        try values.withUnsafeBufferPointer { try writer.append(id: "a", pooled: $0) }
        try writer.finish()
        let cache = try EmbeddingCache(folder: folder)
        #expect(cache.contains("a"))
        let name = try #require(cache.segmentNames.first)
        #expect(ShardLabel.segmentLabel(name) == "s0of2")
        let file = try SafeTensorsFile(url: folder.appendingPathComponent(name))
        #expect(file.metadata["encoder_digest"] == "abc")
        #expect(file.metadata["ids"] == "[\"a\"]")
    }
}
