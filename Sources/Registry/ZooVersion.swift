import CArchive
import Foundation
import GRDB

/// Version facts reported by `zoo version` and stored with every evaluation.
public enum ZooVersion {
    /// zoo's own version.
    public static let current = "0.1.0"

    /// The libarchive zoo is linked against, e.g. "libarchive 3.6.2 zlib/1.2.13 … libzstd/1.5.4".
    public static var libarchive: String { String(cString: archive_version_details()) }
}

extension Catalog {
    /// The SQLite library version in use.
    public func sqliteVersion() throws -> String {
        try read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "unknown" }
    }
}
