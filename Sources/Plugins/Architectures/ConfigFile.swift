import Foundation
import Runtime

/// Reads a model folder's JSON files (config.json, modules.json, a pooling config) into
/// `Decodable` types whose property names are the files' snake_case keys in camelCase, and
/// reports a bad key by its name in the file.
enum ConfigFile {
    /// The contents of the JSON file at `url` decoded as `T`.
    ///
    /// - Throws: ``ModelLoadError/missingFile(path:)`` when the file cannot be read, or
    ///   ``ModelLoadError/invalidConfig(file:key:reason:)`` naming the snake_case key that is
    ///   missing or has the wrong type.
    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws(ModelLoadError) -> T {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .missingFile(path: url.path)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw invalid(error, file: url.path)
        } catch {
            throw .invalidConfig(file: url.path, key: nil, reason: "is not valid JSON (\(error.localizedDescription))")
        }
    }

    /// Throws ``ModelLoadError/invalidConfig(file:key:reason:)`` for `key` unless `condition`.
    static func require(
        _ condition: Bool, file: URL, key: String, _ reason: @autoclosure () -> String
    ) throws(ModelLoadError) {
        guard condition else { throw .invalidConfig(file: file.path, key: key, reason: reason()) }
    }

    /// The JSON key path of `error` as the file spells it, and what is wrong there.
    private static func invalid(_ error: DecodingError, file: String) -> ModelLoadError {
        func key(_ path: [any CodingKey]) -> String? {
            let parts = path.map { $0.intValue.map { "[\($0)]" } ?? snakeCase($0.stringValue) }
            return parts.isEmpty ? nil : parts.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let missing, let context):
            return .invalidConfig(file: file, key: key(context.codingPath + [missing]), reason: "is missing")
        case .valueNotFound(_, let context):
            return .invalidConfig(file: file, key: key(context.codingPath), reason: "is missing")
        case .typeMismatch(let expected, let context):
            let name = describe(expected)
            let path = key(context.codingPath)
            return .invalidConfig(
                file: file, key: path, reason: path == nil ? "is not a JSON \(name)" : "must be \(name)")
        case .dataCorrupted(let context):
            guard let path = key(context.codingPath) else {
                return .invalidConfig(file: file, key: nil, reason: "is not valid JSON")
            }
            return .invalidConfig(file: file, key: path, reason: "has an unusable value")
        @unknown default:
            return .invalidConfig(file: file, key: nil, reason: "cannot be read")
        }
    }

    /// How a reader names a JSON value of `type`.
    private static func describe(_ type: Any.Type) -> String {
        if type == Bool.self { return "true or false" }
        if type == String.self { return "a string" }
        if type == Int.self { return "an integer" }
        if type == Double.self || type == Float.self { return "a number" }
        return "\(type)".hasPrefix("Array") ? "an array" : "an object"
    }

    /// `numHiddenLayers` → `num_hidden_layers`: the inverse of `.convertFromSnakeCase`.
    private static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
