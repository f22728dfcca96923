import Foundation

/// A folder in Hugging Face layout offered as a checkpoint (config.json, *.safetensors,
/// tokenizer and preprocessor files), checked before anything is stored.
public struct CheckpointFolder: Sendable {
    /// The folder.
    public let url: URL
    /// Regular files below the folder, relative `/`-separated paths, hidden entries skipped.
    public let files: [String]
    /// The text of config.json (valid JSON object).
    public let configJSON: String
    /// The preprocessing settings: `preprocessor_config.json`, else `sentence_bert_config.json`, when present.
    public let preprocessingJSON: String?

    /// Deepest folder nesting followed below the checkpoint folder.
    static let maxDepth = 6

    /// Checks that `url` holds a valid config.json and at least one `.safetensors` file.
    ///
    /// - Throws: `ZooError.noInput` (66) when the folder is missing; `ZooError.data` (65) naming
    ///   the missing or malformed file otherwise.
    public init(url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ZooError(.noInput, "checkpoint folder '\(url.path)' does not exist; pass --from a folder holding config.json and *.safetensors")
        }
        guard isDirectory.boolValue else {
            throw ZooError(.data, "'\(url.path)' is a file, not a checkpoint folder; pass --from the folder that holds config.json and *.safetensors")
        }
        var found: [String] = []
        try CheckpointFolder.collect(url.path, prefix: "", depth: 0, into: &found)
        files = found.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        guard files.contains("config.json") else {
            throw ZooError(.data, "'\(url.path)' has no config.json; a checkpoint folder needs config.json and at least one .safetensors file (Hugging Face layout)")
        }
        guard files.contains(where: { !$0.contains("/") && $0.hasSuffix(".safetensors") }) else {
            throw ZooError(.data, "'\(url.path)' has no .safetensors file; save the weights with safetensors (save_pretrained(..., safe_serialization=True))")
        }
        configJSON = try JSONCheck.objectText(at: url.appendingPathComponent("config.json"))
        if files.contains("preprocessor_config.json") {
            preprocessingJSON = try JSONCheck.objectText(at: url.appendingPathComponent("preprocessor_config.json"))
        } else if files.contains("sentence_bert_config.json") {
            preprocessingJSON = try JSONCheck.objectText(at: url.appendingPathComponent("sentence_bert_config.json"))
        } else {
            preprocessingJSON = nil
        }
    }

    private static func collect(_ path: String, prefix: String, depth: Int, into files: inout [String]) throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw ZooError(.io, "cannot list '\(path)': \(error.localizedDescription)")
        }
        for name in names where !name.hasPrefix(".") {
            let full = path + "/" + name
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            var info = stat()
            guard stat(full, &info) == 0 else {
                throw ZooError(.data, "'\(full)' cannot be read (\(String(cString: strerror(errno)))); a dangling link? Fix or remove it")
            }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                files.append(relative)
            case S_IFDIR:
                guard depth < maxDepth else {
                    throw ZooError(.data, "'\(full)' is nested more than \(maxDepth) folders deep; a checkpoint folder is shallow")
                }
                try collect(full, prefix: relative, depth: depth + 1, into: &files)
            default:
                throw ZooError(.data, "'\(full)' is not a regular file or folder; remove it from the checkpoint folder")
            }
        }
    }
}

/// Validates JSON files and reports syntax errors with line and column.
public enum JSONCheck {
    /// Reads `url` and returns its text if it is a JSON object; otherwise throws a
    /// `ZooError.data` naming the file, line and column.
    public static func objectText(at url: URL) throws -> String {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ZooError(.io, "cannot read '\(url.path)': \(error.localizedDescription)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            let debug = (error as NSError).userInfo["NSDebugDescription"] as? String ?? "\(error)"
            throw ZooError(.data, "'\(url.path)' is not valid JSON at \(position(in: data, from: debug)); fix the file")
        }
        guard object is [String: Any] else {
            throw ZooError(.data, "'\(url.path)' must hold a JSON object ({...}); fix the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ZooError(.data, "'\(url.path)' is not UTF-8; fix the file")
        }
        return text
    }

    /// Turns Foundation's "… around character N." into "line L, column C: …".
    static func position(in data: Data, from message: String) -> String {
        guard let range = message.range(of: "character "),
              let offset = Int(message[range.upperBound...].prefix(while: \.isNumber))
        else { return message }
        var line = 1
        var column = 1
        for byte in data.prefix(offset) {
            if byte == 10 { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        let detail = message.trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        return "line \(line), column \(column) (\(detail))"
    }
}
