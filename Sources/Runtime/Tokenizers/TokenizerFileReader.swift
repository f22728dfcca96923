import Foundation

/// Reads tokenizer files, turning every failure into a ``TokenizerError`` that names the file.
enum TokenizerFileReader {
    /// The bytes of `url`.
    static func bytes(of url: URL) throws(TokenizerError) -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw .unreadableFile(file: url.path, reason: error.localizedDescription)
        }
    }

    /// The lines of the UTF-8 text file `url`, split at LF with a CR before it removed, without
    /// the empty piece after a final line break. (Bytes, not `Character`s: CR LF is one
    /// `Character` in Swift.)
    static func lines(of url: URL) throws(TokenizerError) -> [String] {
        let data = try bytes(of: url)
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        if data.last == 0x0A { lines.removeLast() }
        return lines
    }

    /// The JSON value in `url`.
    static func json(of url: URL) throws(TokenizerError) -> StrictJSON {
        let data = try bytes(of: url)
        do {
            return try StrictJSONParser.parse(data)
        } catch {
            throw .malformedJSON(file: url.path, reason: error.description)
        }
    }

    /// The JSON value in `url`, or nil when there is no such file.
    static func jsonIfPresent(_ url: URL) throws(TokenizerError) -> StrictJSON? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try json(of: url)
    }
}
