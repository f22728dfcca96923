import Foundation
import Testing
@testable import Runtime
@testable import ZooCuration

/// The streaming concept selector and the assignment against the numpy reference
/// (scripts/make_curation_fixtures.py), plus the concepts file.
@Suite("Curation")
struct CurationTests {
    struct Case: Decodable {
        struct Expected: Decodable {
            struct Summary: Decodable { var candidates: Int; var threshold: Double?; var taken: Int }
            struct Selection: Decodable { var concept: Int; var index: Int; var caption: Int; var score: Double }
            var order: [Int]
            var concepts: [Summary]
            var selections: [Selection]
        }
        var name: String
        var keep: Int
        var per_concept: Int
        var width: Int
        var prototypes: [[Float]]
        var rows: [[Float]]
        var row_item: [Int]
        var item_ids: [String]
        var expected: Expected
    }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/curation/cases.json")
        struct File: Decodable { var cases: [Case] }
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }()

    /// Streams `fixture`'s items in `order`, `batch` items per GEMM.
    private func run(_ fixture: Case, batch: Int, order: [Int]) throws -> ConceptAssignment {
        let prototypes = EmbeddingMatrix(values: fixture.prototypes.flatMap { $0 }, rows: fixture.prototypes.count, width: fixture.width)
        var rowsOfItem = [[Int]](repeating: [], count: fixture.item_ids.count)
        for (row, item) in fixture.row_item.enumerated() { rowsOfItem[item].append(row) }
        var selector = ConceptSelector(prototypes: prototypes, keep: fixture.keep)
        for first in stride(from: 0, to: order.count, by: batch) {
            let chunk = order[first..<min(first + batch, order.count)]
            var values: [Float] = []
            var items: [ConceptSelector.Item] = []
            for item in chunk {
                for row in rowsOfItem[item] { values += fixture.rows[row] }
                items.append(.init(index: item, id: fixture.item_ids[item], captions: rowsOfItem[item].count))
            }
            try selector.add(EmbeddingMatrix(values: values, rows: values.count / fixture.width, width: fixture.width), items: items)
        }
        #expect(selector.itemsScored == fixture.item_ids.count)
        return ConceptAssignment(candidates: selector.allCandidates(), keep: fixture.keep, perConcept: fixture.per_concept)
    }

    @Test("the streaming selector picks exactly the reference's items, whatever the batch size and arrival order",
          arguments: ["ties", "random", "small"])
    func matchesReference(name: String) throws {
        let fixture = try #require(Self.cases.first { $0.name == name })
        let inOrder = Array(fixture.item_ids.indices)
        // A fixed permutation (even items backwards, then odd ones), so arrival order is not index order.
        let shuffled: [Int] = stride(from: 0, to: inOrder.count, by: 2).map { inOrder[$0] }.reversed() + stride(from: 1, to: inOrder.count, by: 2).map { inOrder[$0] }
        for (batch, order) in [(1, inOrder), (7, inOrder), (64, shuffled), (fixture.item_ids.count, inOrder), (5, shuffled)] {
            let result = try run(fixture, batch: batch, order: order)
            let expected = fixture.expected
            #expect(result.order == expected.order, "\(name), batch \(batch): visit order")
            for (concept, summary) in expected.concepts.enumerated() {
                let got = result.summaries[concept]
                #expect(got.concept == concept)
                #expect(got.candidates == summary.candidates, "\(name): candidates of \(concept)")
                #expect(got.taken == summary.taken, "\(name): taken by \(concept)")
                if let threshold = summary.threshold {
                    #expect(abs(Double(got.threshold ?? .nan) - threshold) < 1e-5, "\(name): threshold of \(concept)")
                } else {
                    #expect(got.threshold == nil)
                }
            }
            #expect(result.selections.count == expected.selections.count, "\(name), batch \(batch)")
            for (got, want) in zip(result.selections, expected.selections) {
                #expect(got.concept == want.concept && got.candidate.index == want.index && got.candidate.caption == want.caption,
                        "\(name), batch \(batch): \(got) vs \(want)")
                #expect(got.candidate.id == fixture.item_ids[want.index])
                #expect(abs(Double(got.candidate.score) - want.score) < 1e-5)
            }
            #expect(Set(result.selections.map(\.candidate.index)).count == result.selections.count, "an item is taken once")
        }
    }

    @Test("the bounded heap keeps the best k by score, then lower index")
    func boundedHeap() {
        var generator = SplitMixGenerator(seed: 7)
        for capacity in [1, 2, 5, 33] {
            var heap = BoundedCandidateHeap(capacity: capacity)
            var all: [CurationCandidate] = []
            for index in 0..<200 {
                let score = Float(Int(generator.next() % 21)) / 4  // many ties
                let candidate = CurationCandidate(score: score, index: index, id: "i\(index)", caption: 0)
                all.append(candidate)
                heap.offer(candidate)
            }
            let expected = Array(all.sorted { $0.ranksAbove($1) }.prefix(capacity))
            #expect(heap.sorted() == expected, "capacity \(capacity)")
        }
    }

    @Test("rarest first: fewer than keep candidates before full concepts, then the keep-th score, then file order")
    func assignmentOrder() {
        func list(_ scores: [Float], from start: Int) -> [CurationCandidate] {
            scores.enumerated().map { CurationCandidate(score: $0.element, index: start + $0.offset, id: "i\(start + $0.offset)", caption: 0) }
        }
        // Concept 0 is full with a high threshold, 1 full with a low one, 2 has one candidate
        // too few, 3 ties with 1 and comes after it; 4 has no candidates at all.
        let candidates = [list([0.9, 0.8, 0.7], from: 0), list([0.9, 0.5, 0.2], from: 10), list([0.99, 0.98], from: 20),
                          list([0.6, 0.4, 0.2], from: 30), []]
        let result = ConceptAssignment(candidates: candidates, keep: 3, perConcept: 2)
        #expect(result.order == [4, 2, 1, 3, 0])
        #expect(result.summaries.map(\.threshold) == [0.7, 0.2, nil, 0.2, nil])
        #expect(result.summaries.map(\.taken) == [2, 2, 2, 2, 0])
        // A shared item goes to the concept visited first.
        let shared = [list([0.9, 0.8, 0.1], from: 0), list([0.95, 0.3, 0.2], from: 0)]
        let contested = ConceptAssignment(candidates: shared, keep: 3, perConcept: 2)
        #expect(contested.order == [0, 1])
        #expect(contested.selections.map { [$0.concept, $0.candidate.index] } == [[0, 0], [0, 1], [1, 2]])
    }

    @Test("a batch whose width or rows do not fit is refused")
    func badBatch() {
        var selector = ConceptSelector(prototypes: EmbeddingMatrix(values: [1, 0, 0, 1], rows: 2, width: 2), keep: 2)
        #expect(throws: CurationError.self) { try selector.add(EmbeddingMatrix(values: [1, 0, 0], rows: 1, width: 3), items: [.init(index: 0, id: "a", captions: 1)]) }
        #expect(throws: CurationError.self) { try selector.add(EmbeddingMatrix(values: [1, 0], rows: 1, width: 2), items: [.init(index: 0, id: "a", captions: 2)]) }
    }

    @Test("concepts file: names, JSON lines with examples, comments; bad lines name file and line")
    func conceptsFile() throws {
        let text = """
            # animals
            dog
            {"concept": "cat", "examples": ["a cat on a sofa", "a kitten"]}

              {"concept": "bird"}
            """
        let list = try ConceptList.parse(text, file: "c.txt")
        #expect(list.concepts.map(\.name) == ["dog", "cat", "bird"])
        #expect(list.concepts.map(\.line) == [2, 3, 5])
        #expect(list.concepts[1].examples == ["a cat on a sofa", "a kitten"])
        #expect(list.concepts[0].prototypeTexts(template: "a photo of a {c}.") == ["a photo of a dog."])
        #expect(list.concepts[1].prototypeTexts(template: "a photo of a {c}.") == ["a cat on a sofa", "a kitten"])
        func failure(_ text: String) -> String {
            do { _ = try ConceptList.parse(text, file: "c.txt"); return "" } catch { return error.kind == .data ? error.message : "wrong kind" }
        }
        #expect(failure("dog\n{\"concept\": \"cat\"") .hasPrefix("c.txt:2: bad JSON"))
        #expect(failure("dog\n\n{\"examples\": [\"x\"]}").hasPrefix("c.txt:3: no \"concept\""))
        #expect(failure("{\"concept\": \"cat\", \"examples\": \"x\"}").hasPrefix("c.txt:1: \"examples\" must be an array"))
        #expect(failure("{\"concept\": 3}").hasPrefix("c.txt:1: \"concept\" must be a string"))
        #expect(failure("{\"concept\": \" \"}").hasPrefix("c.txt:1: the concept name is empty"))
        #expect(failure("dog\nDog").contains("c.txt:2: the concept 'Dog' was already defined on line 1"))
        #expect(failure("# nothing\n\n").contains("holds no concepts"))
        #expect(throws: CurationError(.noInput, "concepts file '/nonexistent/c.txt' does not exist; check the path")) {
            try ConceptList.read(path: "/nonexistent/c.txt")
        }
    }

    @Test("prototypes: mean of normalised examples, normalised again")
    func groupMeans() {
        let rows = EmbeddingMatrix(values: [3, 0, 0, 2, 5, 0], rows: 3, width: 2)
        let means = rows.groupMeans(counts: [2, 1])
        let s = Float(0.5).squareRoot()
        #expect(abs(means.values[0] - s) < 1e-6 && abs(means.values[1] - s) < 1e-6)
        #expect(means.values[2] == 1 && means.values[3] == 0)
    }
}

/// A tiny deterministic generator.
private struct SplitMixGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
