import Foundation

/// Small inline-SVG charts for reports: line charts, bar charts and heat maps, no scripts, no
/// network. Every number drawn is also written as a `data-value` attribute so tests can read it.
enum SVGChart {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// A line chart of one or more series over epochs 1…n.
    static func lines(id: String, title: String, series: [(name: String, values: [Double])], logScale: Bool = false) -> String {
        let (width, height, left, bottom, top, right) = (820.0, 260.0, 64.0, 36.0, 28.0, 276.0)
        let all = series.flatMap(\.values).filter { $0.isFinite && (!logScale || $0 > 0) }
        guard !all.isEmpty else { return "<p>No data for \(escape(title)).</p>" }
        func transform(_ value: Double) -> Double { logScale ? log10(value) : value }
        var low = transform(all.min()!)
        var high = transform(all.max()!)
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        let longest = max(series.map(\.values.count).max() ?? 1, 2)
        func x(_ index: Int) -> Double { left + (width - left - right) * Double(index) / Double(longest - 1) }
        func y(_ value: Double) -> Double { top + (height - top - bottom) * (1 - (transform(value) - low) / (high - low)) }
        var svg = "<svg id=\"\(id)\" class=\"chart\" role=\"img\" aria-label=\"\(escape(title))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        svg += "<text x=\"\(left)\" y=\"18\" class=\"title\">\(escape(title))</text>"
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" class=\"axis\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" class=\"axis\"/>"
        for fraction in [0.0, 0.5, 1.0] {
            let raw = low + (high - low) * fraction
            let value = logScale ? pow(10, raw) : raw
            let yy = top + (height - top - bottom) * (1 - fraction)
            svg += "<text x=\"\(left - 6)\" y=\"\(format(yy + 4))\" class=\"tick\" text-anchor=\"end\">\(number(value))</text>"
        }
        svg += "<text x=\"\(left)\" y=\"\(height - 12)\" class=\"tick\">epoch 1</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(height - 12)\" class=\"tick\" text-anchor=\"end\">epoch \(longest)</text>"
        for (index, line) in series.enumerated() {
            let color = palette[index % palette.count]
            let points = line.values.enumerated().filter { $0.element.isFinite && (!logScale || $0.element > 0) }
                .map { "\(format(x($0.offset))),\(format(y($0.element)))" }.joined(separator: " ")
            svg += "<polyline class=\"series\" data-series=\"\(escape(line.name))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>"
            for (epoch, value) in line.values.enumerated() where value.isFinite && (!logScale || value > 0) {
                svg += "<circle cx=\"\(format(x(epoch)))\" cy=\"\(format(y(value)))\" r=\"2.5\" fill=\"\(color)\" data-series=\"\(escape(line.name))\" data-epoch=\"\(epoch + 1)\" data-value=\"\(value)\"><title>\(escape(line.name)) epoch \(epoch + 1): \(number(value))</title></circle>"
            }
            svg += "<text x=\"\(width - right + 8)\" y=\"\(format(top + 14 + Double(index) * 14))\" class=\"legend\" fill=\"\(color)\">\(escape(line.name))</text>"
        }
        return svg + "</svg>"
    }

    /// Horizontal bars of values in [0, 1].
    static func bars(id: String, title: String, labels: [String], values: [Double]) -> String {
        let rowHeight = 18.0
        let (left, width) = (150.0, 560.0)
        let height = 30 + rowHeight * Double(labels.count) + 10
        var svg = "<svg id=\"\(id)\" class=\"chart\" role=\"img\" aria-label=\"\(escape(title))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        svg += "<text x=\"4\" y=\"18\" class=\"title\">\(escape(title))</text>"
        for (index, (label, value)) in zip(labels, values).enumerated() {
            let y = 28 + rowHeight * Double(index)
            let length = (width - left - 60) * max(0, min(1, value))
            svg += "<text x=\"\(left - 6)\" y=\"\(format(y + 13))\" class=\"tick\" text-anchor=\"end\">\(escape(label))</text>"
            svg += "<rect x=\"\(left)\" y=\"\(format(y + 2))\" width=\"\(format(length))\" height=\"\(rowHeight - 4)\" fill=\"#1f77b4\" data-label=\"\(escape(label))\" data-value=\"\(value)\"/>"
            svg += "<text x=\"\(format(left + length + 4))\" y=\"\(format(y + 13))\" class=\"tick\">\(String(format: "%.1f%%", value * 100))</text>"
        }
        return svg + "</svg>"
    }

    /// A heat map of `values[row][column]`, coloured from white (low) to blue (high).
    static func heatMap(id: String, title: String, rows: [String], columns: [String], values: [[Double]], text: (Double) -> String) -> String {
        let cell = 34.0
        let left = 150.0
        let top = 40 + 90.0
        let width = max(left + cell * Double(columns.count) + 10, 640)
        let height = top + cell * Double(rows.count) + 10
        let all = values.flatMap { $0 }.filter(\.isFinite)
        let low = all.min() ?? 0
        let high = all.max() ?? 1
        var svg = "<svg id=\"\(id)\" class=\"chart\" role=\"img\" aria-label=\"\(escape(title))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        svg += "<text x=\"4\" y=\"18\" class=\"title\">\(escape(title))</text>"
        for (column, name) in columns.enumerated() {
            let x = left + cell * Double(column) + cell / 2
            svg += "<text transform=\"translate(\(format(x)),\(format(top - 6))) rotate(-60)\" class=\"tick\">\(escape(name))</text>"
        }
        for (row, name) in rows.enumerated() {
            let y = top + cell * Double(row)
            svg += "<text x=\"\(left - 6)\" y=\"\(format(y + cell / 2 + 4))\" class=\"tick\" text-anchor=\"end\">\(escape(name))</text>"
            for column in columns.indices {
                let value = values[row][column]
                let share = high > low ? (value - low) / (high - low) : 0.5
                let shade = Int((1 - share) * 220) + 20
                let fill = String(format: "rgb(%d,%d,255)", shade, shade)
                let x = left + cell * Double(column)
                svg += "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(fill)\" stroke=\"#fff\" data-row=\"\(escape(name))\" data-column=\"\(escape(columns[column]))\" data-value=\"\(value)\"/>"
                svg += "<text x=\"\(format(x + cell / 2))\" y=\"\(format(y + cell / 2 + 4))\" class=\"cell\" text-anchor=\"middle\" fill=\"\(share > 0.6 ? "#fff" : "#000")\">\(text(value))</text>"
            }
        }
        return svg + "</svg>"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func number(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e4) { return String(format: "%.2e", value) }
        return String(format: "%.4g", value)
    }
}
