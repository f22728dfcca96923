import Foundation
import GRDB

/// A projector pair as users write it: `VISION+TEXT` or `VISION+TEXT@TAG`, each side an
/// encoder name or alias (`dinov2+roberta@v1`).
public struct PairReference: Sendable, Equatable, CustomStringConvertible {
    public var vision: String
    public var text: String
    /// The version tag; nil means the latest.
    public var tag: String?

    /// Parses `text`, throwing `ZooError.usage` (64) when it is not of the form `VISION+TEXT[@TAG]`.
    public init(parsing text: String) throws {
        var body = Substring(text)
        var tag: String?
        if let at = body.lastIndex(of: "@") {
            tag = String(body[body.index(after: at)...])
            body = body[..<at]
        }
        let sides = body.split(separator: "+", omittingEmptySubsequences: false)
        guard sides.count == 2, !sides[0].isEmpty, !sides[1].isEmpty, tag.map({ !$0.isEmpty }) ?? true else {
            throw ZooError(.usage, "'\(text)' is not a pair: write VISION+TEXT or VISION+TEXT@TAG, e.g. dinov2+roberta@v1")
        }
        vision = String(sides[0])
        self.text = String(sides[1])
        self.tag = tag
    }

    public var description: String { "\(vision)+\(text)" + (tag.map { "@\($0)" } ?? "") }
}

extension Catalog {
    /// The projector `pair` names: the given tag, or the newest one.
    /// Throws `ZooError.noInput` (66) naming what is missing, with suggestions.
    public func projector(for pair: PairReference) throws -> ProjectorRecord {
        let vision = try encoder(named: pair.vision)
        let text = try encoder(named: pair.text)
        guard vision.record.modality == .vision else {
            throw ZooError(.usage, "'\(pair.vision)' is a \(vision.record.modality.rawValue) encoder; the first half of a pair is the vision encoder")
        }
        guard text.record.modality == .text else {
            throw ZooError(.usage, "'\(pair.text)' is a \(text.record.modality.rawValue) encoder; the second half of a pair is the text encoder")
        }
        let candidates = try read { db in
            try ProjectorRecord
                .filter(Column("vision_encoder_id") == vision.record.id! && Column("text_encoder_id") == text.record.id!)
                .order(Column("created_at").desc, Column("id").desc)
                .fetchAll(db)
        }
        let label = "\(vision.name)+\(text.name)"
        guard let newest = candidates.first else {
            throw ZooError(.noInput, "no projector is trained for \(label); train one with 'zoo train' or import an archive")
        }
        guard let tag = pair.tag else { return newest }
        if let match = candidates.first(where: { $0.tag.lowercased() == tag.lowercased() }) { return match }
        let hint = NameSuggester.hint(for: tag, in: candidates.map(\.tag))
        throw ZooError(.noInput, "\(label) has no projector tagged '\(tag)'.\(hint) Tags: \(candidates.map(\.tag).joined(separator: ", "))")
    }

    /// Inserts a projector row (used by training and import; in one transaction with its checkpoint row).
    public func insertProjector(_ projector: ProjectorRecord, stored: StoredCheckpoint) throws -> ProjectorRecord {
        try write { db in
            if try CheckpointRecord.fetchOne(db, key: stored.digest) == nil {
                let filesJSON = String(decoding: try JSONEncoder.sorted.encode(stored.files), as: UTF8.self)
                try CheckpointRecord(digest: stored.digest, totalBytes: stored.totalBytes, files: filesJSON,
                                     format: "projector", createdAt: Date()).insert(db)
            }
            var row = projector
            row.checkpointDigest = stored.digest
            if try ProjectorRecord.filter(Column("vision_encoder_id") == row.visionEncoderId
                                          && Column("text_encoder_id") == row.textEncoderId
                                          && Column("tag") == row.tag).fetchCount(db) > 0 {
                throw ZooError(.data, "this pair already has a projector tagged '\(row.tag)'; choose another tag")
            }
            try row.insert(db)
            return row
        }
    }
}
