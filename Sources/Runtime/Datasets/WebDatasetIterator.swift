import Foundation

/// Streams the samples of WebDataset shards, one shard open at a time and one sample in memory.
///
/// A sample without an image, or with a bad `.cls`, is a data error naming the shard and key; a
/// damaged shard is a data error naming it. With ``DatasetSpec/skipBad`` such samples are skipped,
/// and a damaged shard's rest is skipped, each counted once in ``skippedCount``.
final class WebDatasetIterator: DatasetIterator {
    /// Member extensions holding the image.
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp"]
    /// The largest `.cls` member read.
    static let maxLabelBytes = 4096
    /// The largest `.txt` member read.
    static let maxCaptionBytes = 16 << 20

    private enum Step {
        case item(DatasetItem)
        case again
        case end
    }

    /// The members of the sample being assembled.
    private struct PendingSample {
        var key: String
        var shard: String
        var image: (bytes: [UInt8], ext: String)?
        var labelText: [UInt8]?
        var captionText: [UInt8]?
        var bytes = 0
    }

    private let shards: [String]
    private let datasetPath: String
    private let captionLines: Bool
    private let metadata: ClassMetadata
    private let skipBad: Bool

    private var shardIndex = 0
    private var stream: ArchiveStream?
    private var pending: PendingSample?
    private var deferredError: DatasetError?
    private var nextIndex = 0
    private var finished = false
    private var log = SkipLog()

    /// The most bytes one sample's members took in memory so far.
    private(set) var peakSampleBytes = 0

    var skippedCount: Int { log.count }
    var skipReasons: [String] { log.reasons }

    /// How many bytes were read so far from the shard being read.
    var bytesConsumed: Int64 { stream?.bytesConsumed ?? 0 }

    init(shards: [String], datasetPath: String, captionLines: Bool, metadata: ClassMetadata, skipBad: Bool) {
        self.shards = shards
        self.datasetPath = datasetPath
        self.captionLines = captionLines
        self.metadata = metadata
        self.skipBad = skipBad
    }

    func next() throws(DatasetError) -> DatasetItem? {
        guard !finished else { return nil }
        do throws(DatasetError) {
            while true {
                switch try advance() {
                case .item(let item): return item
                case .again: continue
                case .end:
                    finished = true
                    return nil
                }
            }
        } catch {
            finished = true
            stream?.close()
            stream = nil
            throw error
        }
    }

    /// Reads one member (or opens or closes a shard).
    private func advance() throws(DatasetError) -> Step {
        if let error = deferredError {
            deferredError = nil
            throw error
        }
        guard let stream = try currentStream() else {
            guard nextIndex > 0 else {
                let skipped = log.count > 0 ? " (\(log.count) skipped)" : ""
                throw DatasetError(.noInput, "\(datasetPath): no usable samples in \(shards.count) shard(s)\(skipped)")
            }
            return .end
        }
        let entry: ArchiveStream.Entry?
        do throws(DatasetError) {
            entry = try stream.nextEntry()
        } catch {
            return try shardFailed(error, after: .again)
        }
        guard let entry else {
            self.stream = nil
            shardIndex += 1
            return try flush()
        }
        let (key, ext) = Self.split(entry.path)
        guard entry.isRegularFile, !key.isEmpty else { return .again }
        var step = Step.again
        if let pending, pending.key != key { step = try flush() }
        if pending == nil { pending = PendingSample(key: key, shard: stream.path) }
        do throws(DatasetError) {
            try read(entry, ext: ext, from: stream)
        } catch {
            return try shardFailed(error, after: step)
        }
        return step
    }

    /// The open shard, opening the next one when needed; `nil` after the last.
    private func currentStream() throws(DatasetError) -> ArchiveStream? {
        while stream == nil && shardIndex < shards.count {
            do throws(DatasetError) {
                stream = try ArchiveStream(path: shards[shardIndex], raw: false, what: "a WebDataset tar shard")
            } catch {
                guard skipBad else { throw error }
                log.record(error)
                shardIndex += 1
            }
        }
        return stream
    }

    /// Reads the data of `entry` into the pending sample, or skips it.
    private func read(_ entry: ArchiveStream.Entry, ext: String, from stream: ArchiveStream) throws(DatasetError) {
        let member = entry.path
        if Self.imageExtensions.contains(ext), pending?.image == nil {
            let bytes = try stream.readAll(limit: ImageLimits.standard.maxFileBytes, member: member)
            pending?.image = (bytes, ext)
            pending?.bytes += bytes.count
        } else if ext == "cls" {
            let bytes = try stream.readAll(limit: Self.maxLabelBytes, member: member)
            pending?.labelText = bytes
            pending?.bytes += bytes.count
        } else if ext == "txt" {
            let bytes = try stream.readAll(limit: Self.maxCaptionBytes, member: member)
            pending?.captionText = bytes
            pending?.bytes += bytes.count
        } else {
            try stream.skipData()
        }
        peakSampleBytes = max(peakSampleBytes, pending?.bytes ?? 0)
    }

    /// The damaged shard ends the iteration, or with `skipBad` is left for the next one; `step` (an
    /// item completed before the damage) is still returned first.
    private func shardFailed(_ error: DatasetError, after step: Step) throws(DatasetError) -> Step {
        stream?.close()
        stream = nil
        shardIndex += 1
        pending = nil
        if skipBad {
            log.record(error)
        } else if case .item = step {
            deferredError = error
        } else {
            throw error
        }
        return step
    }

    /// Turns the pending sample into an item.
    private func flush() throws(DatasetError) -> Step {
        guard let sample = pending else { return .again }
        pending = nil
        do throws(DatasetError) {
            return .item(try item(from: sample))
        } catch {
            guard skipBad else { throw error }
            log.record(error)
            return .again
        }
    }

    private func item(from sample: PendingSample) throws(DatasetError) -> DatasetItem {
        let shard = sample.shard
        let place = "\(shard): sample \(sample.key)"
        guard let image = sample.image else {
            throw DatasetError(.data, "\(place) has no image (a .jpg, .jpeg, .png or .webp member)")
        }
        var label: Int?
        if let bytes = sample.labelText {
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let value = Int(text) else {
                throw DatasetError(.data, "\(place): the .cls member \"\(text.prefix(40))\" is not an integer")
            }
            try metadata.check(label: value, place: place)
            label = value
        }
        var captions: [String] = []
        if let bytes = sample.captionText {
            // A caption member is a file: a byte-order mark at its start is dropped, nothing else
            // but the whitespace around each caption (U+FEFF is not whitespace).
            let text = String(decoding: ByteOrderMark.stripped(bytes), as: UTF8.self)
            let pieces = captionLines ? text.split(whereSeparator: \.isNewline).map(String.init) : [text]
            captions = pieces.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }
        let index = nextIndex
        nextIndex += 1
        return DatasetItem(
            index: index, id: DatasetPaths.baseName(of: shard) + "/" + sample.key,
            image: .encoded(bytes: image.bytes, name: "\(shard):\(sample.key).\(image.ext)"),
            captions: captions, label: label)
    }

    /// The sample key and the type extension (lower-cased last extension) of a member path;
    /// hidden files give an empty key.
    static func split(_ path: String) -> (key: String, ext: String) {
        let slash = path.lastIndex(of: "/")
        let nameStart = slash.map { path.index(after: $0) } ?? path.startIndex
        let name = path[nameStart...]
        guard !name.isEmpty, !name.hasPrefix(".") else { return ("", "") }
        guard let dot = name.firstIndex(of: ".") else { return (path, "") }
        let key = String(path[..<dot])
        let ext = name[name.index(after: dot)...].split(separator: ".").last.map { $0.lowercased() } ?? ""
        return (key, ext)
    }
}
