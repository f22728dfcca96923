import Foundation

/// A read-only view of an embedding cache folder: every complete segment memory-mapped, and an
/// index from item id to its row.
///
/// Segments from several writers (resumed runs, shards computed elsewhere and copied in) are
/// unioned; when an id appears in more than one, the segment first in name order wins.
/// Temporary files of interrupted writes are ignored.
public final class EmbeddingCache: Sendable {
    /// Where an item's values are.
    public struct Location: Sendable, Equatable {
        /// The segment's index in ``segmentNames``.
        public var segment: Int
        /// The row in the segment's `pooled` tensor.
        public var row: Int
        /// The first row in the segment's `tokens` tensor (0 without tokens).
        public var tokenOffset: Int
        /// The number of token rows (0 without tokens).
        public var tokenCount: Int
    }

    /// The name of the layout file in a cache folder.
    public static let manifestName = "cache.json"

    /// The folder.
    public let folder: URL
    /// The layout from `cache.json`.
    public let layout: EmbeddingCacheLayout
    /// The segment files, sorted.
    public let segmentNames: [String]
    private let segments: [SafeTensorsFile]
    private let index: [String: Location]

    /// Opens the cache in `folder`.
    ///
    /// - Throws: ``EmbeddingCacheError`` when the folder has no `cache.json`, or a segment
    ///   disagrees with it (naming the file).
    public init(folder: URL) throws(EmbeddingCacheError) {
        self.folder = folder
        guard let layout = try Self.readLayout(folder: folder) else {
            throw EmbeddingCacheError(.data, "'\(folder.path)' is not an embedding cache (no \(Self.manifestName)); run 'zoo embed' to build it")
        }
        self.layout = layout
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { $0.hasPrefix("seg-") && $0.hasSuffix(".safetensors") }.sorted()
        } catch {
            throw EmbeddingCacheError(.io, "cannot list embedding cache '\(folder.path)': \(error.localizedDescription)")
        }
        var segments: [SafeTensorsFile] = []
        var index: [String: Location] = [:]
        for name in names {
            let url = folder.appendingPathComponent(name)
            let file: SafeTensorsFile
            do { file = try SafeTensorsFile(url: url) } catch {
                throw EmbeddingCacheError(.data, "cache segment '\(url.path)' is unreadable: \(error); delete it and run 'zoo embed' again to recompute its items")
            }
            let ids = try Self.ids(of: file, url: url)
            let counts = try Self.check(file, url: url, rows: ids.count, layout: layout)
            var offset = 0
            for (row, id) in ids.enumerated() {
                let count = counts.map { $0[row] } ?? 0
                if index[id] == nil {
                    index[id] = Location(segment: segments.count, row: row, tokenOffset: offset, tokenCount: count)
                }
                offset += count
            }
            segments.append(file)
        }
        self.segmentNames = names
        self.segments = segments
        self.index = index
    }

    /// The number of distinct cached items.
    public var count: Int { index.count }

    /// The cached item ids, unordered.
    public var ids: Dictionary<String, Location>.Keys { index.keys }

    /// Whether `id` is cached.
    public func contains(_ id: String) -> Bool { index[id] != nil }

    /// Where `id` is, or nil when it is not cached.
    public func location(of id: String) -> Location? { index[id] }

    /// Copies the pooled embedding at `location` (``EmbeddingCacheLayout/pooledWidth`` values) to `destination`.
    public func copyPooled(_ location: Location, to destination: UnsafeMutablePointer<Float>) {
        let width = layout.pooledWidth
        copy(segment: location.segment, tensor: "pooled", firstValue: location.row * width, count: width, to: destination)
    }

    /// Copies the token states at `location` (`tokenCount × tokenWidth` values) to `destination`.
    public func copyTokens(_ location: Location, to destination: UnsafeMutablePointer<Float>) {
        precondition(layout.tokens, "this cache keeps no token states")
        let width = layout.tokenWidth
        copy(segment: location.segment, tensor: "tokens", firstValue: location.tokenOffset * width, count: location.tokenCount * width, to: destination)
    }

    private func copy(segment: Int, tensor: String, firstValue: Int, count: Int, to destination: UnsafeMutablePointer<Float>) {
        let dtype = layout.dtype
        // Names and shapes were checked when the cache was opened.
        try! segments[segment].withRawBytes(tensor) { raw in
            switch dtype {
            case .f32:
                UnsafeMutableRawPointer(destination).copyMemory(from: raw.baseAddress!.advanced(by: firstValue * 4), byteCount: count * 4)
            case .f16:
                let base = raw.baseAddress!.advanced(by: firstValue * 2)
                for index in 0..<count {
                    let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                    destination[index] = Float(Float16(bitPattern: bits))
                }
            }
        }
    }

    /// The layout in `folder`'s `cache.json`, or nil when there is none.
    static func readLayout(folder: URL) throws(EmbeddingCacheError) -> EmbeddingCacheLayout? {
        let url = folder.appendingPathComponent(manifestName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let layout = try JSONDecoder().decode(EmbeddingCacheLayout.self, from: Data(contentsOf: url))
            guard layout.pooledWidth > 0, layout.tokenWidth >= 0, layout.tokens == (layout.tokenWidth > 0) else {
                throw EmbeddingCacheError(.data, "widths out of range")
            }
            return layout
        } catch {
            throw EmbeddingCacheError(.data, "'\(url.path)' is not a valid cache layout (\(error)); remove the cache folder to rebuild it")
        }
    }

    private static func ids(of file: SafeTensorsFile, url: URL) throws(EmbeddingCacheError) -> [String] {
        guard let text = file.metadata["ids"],
              let ids = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
        else {
            throw EmbeddingCacheError(.data, "cache segment '\(url.path)' has no valid 'ids' metadata (a JSON array of strings); delete it and run 'zoo embed' again")
        }
        return ids
    }

    /// Checks tensor names, dtypes and shapes; returns the token counts when tokens are kept.
    private static func check(_ file: SafeTensorsFile, url: URL, rows: Int, layout: EmbeddingCacheLayout) throws(EmbeddingCacheError) -> [Int]? {
        func fail(_ detail: String) -> EmbeddingCacheError {
            EmbeddingCacheError(.data, "cache segment '\(url.path)': \(detail); delete it and run 'zoo embed' again to recompute its items")
        }
        let dtype = layout.dtype.safeTensorsType
        guard let pooled = try? file.info("pooled") else { throw fail("no 'pooled' tensor") }
        guard pooled.dtype == dtype, pooled.shape == [rows, layout.pooledWidth] else {
            throw fail("'pooled' is \(pooled.dtype) \(pooled.shape), expected \(dtype) [\(rows), \(layout.pooledWidth)]")
        }
        guard layout.tokens else { return nil }
        guard let tokens = try? file.info("tokens"), let countsInfo = try? file.info("token_counts"),
              let counts = try? file.int64s("token_counts")
        else { throw fail("no 'tokens' and 'token_counts' tensors") }
        guard countsInfo.shape == [rows], counts.allSatisfy({ $0 >= 0 && $0 < 1 << 24 }) else {
            throw fail("'token_counts' must be \(rows) non-negative counts")
        }
        let total = counts.reduce(0, +)
        guard tokens.dtype == dtype, tokens.shape == [Int(total), layout.tokenWidth] else {
            throw fail("'tokens' is \(tokens.dtype) \(tokens.shape), expected \(dtype) [\(total), \(layout.tokenWidth)]")
        }
        return counts.map { Int($0) }
    }
}
