import Foundation
import Runtime
import ZooKit

/// Printing helpers: aligned tables for people, JSON for programs.
enum Output {
    /// Prints `rows` under `headers`, columns padded to their widest cell.
    static func table(_ headers: [String], _ rows: [[String]]) {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }

    /// Prints an `Encodable` value as JSON, keys sorted, pretty-printed.
    static func json<Value: Encodable>(_ value: Value) throws {
        print(String(decoding: try jsonData(value), as: UTF8.self))
    }

    /// The JSON text of an `Encodable` value, keys sorted, pretty-printed.
    static func jsonData<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// Human-readable byte count (1024-based).
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// ISO 8601 text of a date, UTC, to the second.
    static func date(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Writes one line to standard error.
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Says on standard error that an image was skipped, and why.
    static func reportSkipped(_ failure: ImageFailure) {
        error("skipped \(failure.error.description)")
    }

    /// A list of strings as one compact JSON array (safetensors metadata values).
    static func compactArray(_ values: [String]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: values)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
