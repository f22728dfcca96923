import Foundation
import GRDB

/// A projector row with the names of its two encoders.
public struct ProjectorEntry: Sendable, Equatable {
    /// The row.
    public var record: ProjectorRecord
    /// The vision encoder's name.
    public var visionName: String
    /// The text encoder's name.
    public var textName: String

    /// Pairs a row with its encoder names.
    public init(record: ProjectorRecord, visionName: String, textName: String) {
        self.record = record
        self.visionName = visionName
        self.textName = textName
    }

    /// `VISION+TEXT@TAG`.
    public var reference: String { "\(visionName)+\(textName)@\(record.tag)" }
}

extension Catalog {
    /// Every projector, optionally only those of one encoder pair (tag ignored), newest first.
    public func projectors(for pair: PairReference? = nil) throws -> [ProjectorEntry] {
        var filterIDs: (Int64, Int64)?
        if let pair {
            let vision = try encoder(named: pair.vision)
            let text = try encoder(named: pair.text)
            filterIDs = (vision.record.id!, text.record.id!)
        }
        return try read { db in
            var request = ProjectorRecord.order(Column("created_at").desc, Column("id").desc)
            if let (vision, text) = filterIDs {
                request = request.filter(Column("vision_encoder_id") == vision && Column("text_encoder_id") == text)
            }
            let names = Dictionary(uniqueKeysWithValues: try EncoderRecord.fetchAll(db).map { ($0.id!, $0.name) })
            return try request.fetchAll(db).map {
                ProjectorEntry(record: $0, visionName: names[$0.visionEncoderId] ?? "?", textName: names[$0.textEncoderId] ?? "?")
            }
        }
    }

    /// The projector `pair` names, with its encoder names.
    public func projectorEntry(for pair: PairReference) throws -> ProjectorEntry {
        let record = try projector(for: pair)
        let vision = try encoder(named: pair.vision)
        let text = try encoder(named: pair.text)
        return ProjectorEntry(record: record, visionName: vision.name, textName: text.name)
    }

    /// Removes the projector `pair` names (the newest when no tag is given) with its evaluations.
    /// Returns the row and its checkpoint digest when nothing else uses it any more.
    /// Its search indexes go with it (their checkpoints are released too when unused).
    public func removeProjector(_ pair: PairReference) throws -> (entry: ProjectorEntry, released: [String]) {
        let entry = try projectorEntry(for: pair)
        let released = try write { db -> [String] in
            let indexDigests = try String.fetchAll(
                db, sql: "SELECT checkpoint_digest FROM search_index WHERE projector_id = ?", arguments: [entry.record.id])
            _ = try entry.record.delete(db)
            return try ([entry.record.checkpointDigest] + indexDigests).filter { try Catalog.dropIfUnused(db, digest: $0) }
        }
        return (entry, released)
    }

    /// The next free tag `v1`, `v2`, … for a pair.
    public func nextProjectorTag(visionEncoderId: Int64, textEncoderId: Int64) throws -> String {
        let tags = try read { db in
            try String.fetchAll(db, sql: "SELECT tag FROM projector WHERE vision_encoder_id = ? AND text_encoder_id = ?",
                                arguments: [visionEncoderId, textEncoderId])
        }
        let used = Set(tags.map { $0.lowercased() })
        var number = 1
        while used.contains("v\(number)") { number += 1 }
        return "v\(number)"
    }
}
