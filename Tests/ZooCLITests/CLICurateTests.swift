import Foundation
import Testing

/// `zoo curate` through the real binary with all-MiniLM-L6-v2 on small caption pools.
@Suite("zoo curate", .serialized)
struct CLICurateTests {
    /// Concept → words one of which every caption written for it contains.
    static let topics: [(concept: String, words: [String], captions: [String])] = [
        ("dog", ["dog", "puppy"], [
            "a brown dog running on the grass", "a puppy sleeping on a blanket", "a dog catching a frisbee in the park",
            "two dogs playing with a ball", "a small puppy looking at the camera", "a dog sitting next to its owner",
            "a wet dog shaking off water", "a black dog lying on the floor", "a puppy chewing a shoe", "a dog on a leash in the city",
        ]),
        ("pizza", ["pizza"], [
            "a pepperoni pizza on a wooden table", "a slice of pizza with melted cheese", "a pizza coming out of a brick oven",
            "a margherita pizza with basil leaves", "friends sharing a large pizza", "a box of pizza on the couch",
            "a chef tossing pizza dough", "a vegetable pizza cut into slices", "a half eaten pizza on a plate", "a pizza with olives and mushrooms",
        ]),
        ("bicycle", ["bicycle", "bike", "cyclist"], [
            "a red bicycle leaning against a wall", "a man riding a bike down the street", "a cyclist racing on a mountain road",
            "a bicycle parked near a fence", "a child learning to ride a bike", "an old bicycle with a basket",
            "a row of rental bikes on the sidewalk", "a woman on a bicycle in the rain", "a bike with a flat tire", "cyclists waiting at a traffic light",
        ]),
        ("beach", ["beach", "sand", "waves", "shore", "sea"], [
            "people walking on a sandy beach", "waves crashing on the shore", "a beach with palm trees at sunset",
            "children building a sand castle on the beach", "an empty beach in the morning", "surfers riding the waves near the beach",
            "umbrellas and towels on a crowded beach", "footprints in the sand by the sea", "a lifeguard tower on the beach", "the calm sea and a white sand beach",
        ]),
    ]
    static let distractors = [
        "a laptop on an office desk", "a snowy mountain peak", "a bowl of fruit on a kitchen counter", "a train arriving at the station",
        "a bookshelf full of old books", "a city skyline at night", "a cup of coffee and a newspaper", "a red tulip in a garden",
    ]

    /// A home with MiniLM as `minilm` and a JSONL pool `pool` (every caption its own image file).
    private func prepared() throws -> ZooRunner {
        let miniLM = try #require(CLITextEncoderTests.miniLM, "all-MiniLM-L6-v2 is missing (make test fetches it)")
        let zoo = ZooRunner()
        try #require(try zoo.run(["encoder", "add", "all-MiniLM-L6-v2", "--alias", "minilm", "--from", miniLM.path]).status == 0)
        let folder = zoo.scratch.appendingPathComponent("pool")
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let png = ZooRunner.fixtures.appendingPathComponent("vision/images/camera_gray.png")
        // Interleave topics and distractors so that neither order nor position gives anything away.
        var captions: [String] = []
        for row in 0..<10 {
            for topic in Self.topics { captions.append(topic.captions[row]) }
            if row < Self.distractors.count { captions.append(Self.distractors[row]) }
        }
        var lines: [String] = []
        for (number, caption) in captions.enumerated() {
            let name = String(format: "img-%03d.png", number)
            try FileManager.default.copyItem(at: png, to: images.appendingPathComponent(name))
            let object: [String: Any] = ["id": "p\(number)", "image": "images/\(name)", "caption": caption]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("train.jsonl"))
        try #require(try zoo.run(["dataset", "add", "pool", "--path", folder.path, "--format", "jsonl"]).status == 0)
        return zoo
    }

    /// Concepts: two plain names, one JSON line with examples, one JSON line without.
    private func conceptsFile(_ zoo: ZooRunner) throws -> String {
        let url = zoo.scratch.appendingPathComponent("concepts.txt")
        try Data("""
            # the concepts of the test pool
            dog
            pizza
            {"concept": "bicycle", "examples": ["someone riding a bicycle", "a parked bike"]}
            {"concept": "beach"}

            """.utf8).write(to: url)
        return url.path
    }

    private func manifestLines(_ url: URL) throws -> [[String: Any]] {
        try String(decoding: Data(contentsOf: url), as: UTF8.self).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test("curates K items per concept whose captions fit the concept, and the manifest reads back as a jsonl dataset")
    func curateJSONLPool() throws {
        let zoo = try prepared()
        let concepts = try conceptsFile(zoo)
        let out = zoo.scratch.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let manifest = out.appendingPathComponent("curated.jsonl")
        let result = try zoo.run(["curate", "--pool", "pool", "--concepts", concepts, "--per-concept", "4", "--top", "8",
                                  "--encoder", "minilm", "--output", manifest.path, "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let summary = try #require(try result.json() as? [String: Any])
        #expect(summary["items"] as? Int == 48)
        #expect(summary["selected"] as? Int == 16)
        let rows = try #require(summary["concepts"] as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["concept"] as? String }) == ["dog", "pizza", "bicycle", "beach"])
        #expect(rows.map { $0["order"] as? Int } == [1, 2, 3, 4])
        for row in rows {
            #expect(row["candidates"] as? Int == 8)
            #expect(row["taken"] as? Int == 4)
            #expect(row["threshold"] is Double)
        }
        // Rarest first: thresholds never decrease along the visit order.
        let thresholds = rows.compactMap { $0["threshold"] as? Double }
        #expect(thresholds == thresholds.sorted())

        let lines = try manifestLines(manifest)
        #expect(lines.count == 16)
        #expect(Set(lines.compactMap { $0["id"] as? String }).count == 16)
        for topic in Self.topics {
            let mine = lines.filter { $0["concept"] as? String == topic.concept }
            #expect(mine.count == 4, "\(topic.concept)")
            for line in mine {
                let caption = try #require(line["caption"] as? String)
                #expect(topic.words.contains { caption.contains($0) }, "'\(caption)' was selected for \(topic.concept)")
                #expect(Set(line.keys) == ["id", "image", "caption", "concept", "score"])
                let image = try #require(line["image"] as? String)
                #expect(image.hasPrefix("/") && FileManager.default.fileExists(atPath: image), "\(image)")
                #expect((line["score"] as? Double ?? 0) > 0.2)
            }
        }
        // Written atomically: no temporary file is left next to it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["curated.jsonl"])

        let add = try zoo.run(["dataset", "add", "curated", "--path", manifest.path, "--format", "jsonl", "--json"])
        #expect(add.status == 0, "\(add.stderr)")
        #expect((try add.json() as? [String: Any])?["task"] as? String == "pairs")
        let show = try zoo.run(["dataset", "show", "curated", "--count", "--json"])
        #expect((try show.json() as? [String: Any])?["items"] as? Int == 16, "\(show.stderr)")

        // The table; with --top above the pool size no concept has M candidates ("-").
        let table = try zoo.run(["curate", "--pool", "pool", "--concepts", concepts, "--per-concept", "3", "--top", "500",
                                 "--encoder", "minilm", "--output", manifest.path])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("CONCEPT") && table.stdout.contains("M-TH SCORE"), "\(table.stdout)")
        #expect(table.stdout.contains("fewer than 500 candidates"), "\(table.stdout)")
        let again = try manifestLines(manifest)
        #expect(again.count == 12)
        for topic in Self.topics {
            #expect(again.filter { $0["concept"] as? String == topic.concept }.count == 3)
        }
    }

    @Test("a WebDataset pool: the manifest names each image SHARD:KEY")
    func curateWebDatasetPool() throws {
        let zoo = try prepared()
        let members = zoo.scratch.appendingPathComponent("members")
        try FileManager.default.createDirectory(at: members, withIntermediateDirectories: true)
        let png = try Data(contentsOf: ZooRunner.fixtures.appendingPathComponent("vision/images/camera_gray.png"))
        var names: [String] = []
        for (number, caption) in (Self.topics[0].captions.prefix(4) + Self.topics[1].captions.prefix(4) + Self.distractors.prefix(3)).enumerated() {
            let key = String(format: "s%03d", number)
            try png.write(to: members.appendingPathComponent("\(key).png"))
            try Data(caption.utf8).write(to: members.appendingPathComponent("\(key).txt"))
            names += ["\(key).png", "\(key).txt"]
        }
        let shard = zoo.scratch.appendingPathComponent("pairs-00000.tar")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-cf", shard.path, "-C", members.path] + names
        try tar.run()
        tar.waitUntilExit()
        try #require(tar.terminationStatus == 0)
        try #require(try zoo.run(["dataset", "add", "shards", "--path", shard.path, "--format", "wds"]).status == 0)
        let concepts = zoo.scratch.appendingPathComponent("two.txt")
        try Data("dog\npizza\n".utf8).write(to: concepts)
        let manifest = zoo.scratch.appendingPathComponent("wds.jsonl")
        let result = try zoo.run(["curate", "--pool", "shards", "--concepts", concepts.path, "--per-concept", "3", "--top", "4",
                                  "--encoder", "minilm", "--output", manifest.path])
        try #require(result.status == 0, "\(result.stderr)")
        let lines = try manifestLines(manifest)
        #expect(lines.count == 6)
        for line in lines {
            let image = try #require(line["image"] as? String)
            #expect(image.hasPrefix(shard.path + ":s0") && image.hasSuffix(".png"), "\(image)")
            #expect((line["id"] as? String)?.hasPrefix("pairs-00000.tar/") == true)
            let words = line["concept"] as? String == "dog" ? ["dog", "pupp"] : ["pizza"]
            let caption = line["caption"] as? String ?? ""
            #expect(words.contains { caption.contains($0) }, "\(caption)")
        }
    }

    @Test("bad input: missing files 66, bad concept lines 65 with file:line, K or M below 1 64")
    func badInput() throws {
        let zoo = try prepared()
        let concepts = try conceptsFile(zoo)
        let manifest = zoo.scratch.appendingPathComponent("m.jsonl").path
        func curate(_ extra: [String], concepts file: String = concepts, pool: String = "pool") throws -> CLIResult {
            try zoo.run(["curate", "--pool", pool, "--concepts", file, "--encoder", "minilm", "--output", manifest] + extra)
        }
        let missing = try curate(["--per-concept", "2"], concepts: "/nonexistent/concepts.txt")
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("/nonexistent/concepts.txt"))
        #expect(try curate(["--per-concept", "2"], pool: "nopool").status == 66)
        #expect(try zoo.run(["curate", "--pool", "pool", "--concepts", concepts, "--encoder", "minilm", "--per-concept", "2",
                             "--output", "/nonexistent/folder/m.jsonl"]).status == 66)
        let bad = zoo.scratch.appendingPathComponent("bad.txt")
        try Data("dog\n{\"concept\": \"cat\", \"examples\": [1]}\n".utf8).write(to: bad)
        let badLine = try curate(["--per-concept", "2"], concepts: bad.path)
        #expect(badLine.status == 65)
        #expect(badLine.stderr.contains("\(bad.path):2"), "\(badLine.stderr)")
        #expect(try curate(["--per-concept", "0"]).status == 64)
        #expect(try curate(["--per-concept", "2", "--top", "0"]).status == 64)
        #expect(!FileManager.default.fileExists(atPath: manifest))
    }
}
