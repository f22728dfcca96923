import Foundation
import NIOHTTP1
import Testing
@testable import ZooHub

/// The parts of the Hub client that need no network: references, environment, file choice,
/// model cards, headers and the cache layout.
@Suite("Hub references, environment and cache layout")
struct HubParsingTests {
    @Test("hf:ORG/REPO[@REVISION] parses; malformed ids and revisions are 64 naming the part")
    func references() throws {
        let plain = try HubReference(parsing: "hf:sentence-transformers/all-MiniLM-L6-v2")
        #expect(plain.repository == "sentence-transformers/all-MiniLM-L6-v2" && plain.revision == "main")
        let pinned = try HubReference(parsing: "hf:facebook/dinov2-small@refs/pr/3")
        #expect(pinned.revision == "refs/pr/3" && !pinned.revisionIsCommit)
        let commit = try HubReference(parsing: "hf:gpt2@0123456789abcdef0123456789abcdef01234567")
        #expect(commit.repository == "gpt2" && commit.revisionIsCommit)
        for bad in ["hf:", "hf:a/b/c", "hf:../x", "hf:org/.hidden", "hf:org/repo@", "hf:org/repo@../main", "hf:org/re po", "org/repo", "hf:org/repo@a//b"] {
            let error = #expect(throws: HubError.self) { try HubReference(parsing: bad) }
            #expect(error?.exitStatus == .usage, "\(bad)")
        }
        #expect(HubClient.escape("refs/pr/3") == "refs%2Fpr%2F3")
    }

    @Test("the environment follows huggingface_hub: HF_HUB_CACHE, HF_HOME/hub, ~/.cache; HF_TOKEN or the token file; HF_HUB_OFFLINE")
    func environment() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-hub-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let defaults = HubEnvironment(["HOME": "/home/ada"])
        #expect(defaults.cache.path == "/home/ada/.cache/huggingface/hub" && defaults.endpoint == "https://huggingface.co")
        #expect(defaults.token == nil && !defaults.offline && defaults.attempts == 6)
        let home = HubEnvironment(["HOME": "/home/ada", "HF_HOME": scratch.path, "HF_ENDPOINT": "http://127.0.0.1:9/", "HF_HUB_OFFLINE": "1"])
        #expect(home.cache.path == scratch.appendingPathComponent("hub").path && home.endpoint == "http://127.0.0.1:9" && home.offline)
        try "hf_file_token\n".write(to: scratch.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        #expect(HubEnvironment(["HF_HOME": scratch.path]).token == "hf_file_token")
        #expect(HubEnvironment(["HF_HOME": scratch.path, "HF_TOKEN": "hf_env"]).token == "hf_env")
        #expect(HubEnvironment(["HF_HOME": scratch.path, "HF_HUB_CACHE": "/srv/hf"]).cache.path == "/srv/hf")
    }

    @Test("only what an encoder reads is fetched: never pickles, ONNX or other frameworks; no safetensors is 65; an unsafe listed path is 65")
    func selection() throws {
        func files(_ paths: [String]) -> [HubFile] { paths.map { HubFile(path: $0, size: 1, gitOID: String(repeating: "a", count: 40), lfsSHA256: nil) } }
        let listing = files(["config.json", "model.safetensors", "pytorch_model.bin", "tf_model.h5", "onnx/model.onnx", "tokenizer.json", "vocab.txt",
                             "1_Pooling/config.json", "2_Dense/model.safetensors", "2_Dense/pytorch_model.bin", "README.md", ".gitattributes",
                             "openvino/openvino_model.xml", "model.safetensors.index.json"])
        let reference = try HubReference(parsing: "hf:acme/model")
        let chosen = try HubFileSelection.select(listing, reference: reference).map(\.path)
        #expect(Set(chosen) == ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "1_Pooling/config.json",
                                "2_Dense/model.safetensors", "README.md", "model.safetensors.index.json"])
        let pickles = listing.filter { !$0.path.hasSuffix(".safetensors") }
        let error = #expect(throws: HubError.self) { try HubFileSelection.select(pickles, reference: reference) }
        #expect(error?.exitStatus == .data && error?.description.contains("pytorch_model.bin") == true)
        // The server is untrusted: one unsafe path refuses the whole listing, wanted or not.
        for unsafe in ["../escape.json", "a//b.json", "/etc/passwd", "1_Pooling/../../x.safetensors", "./config.json", "a\\b.json", "x\u{1}.json"] {
            let refused = #expect(throws: HubError.self) { try HubFileSelection.select(listing + files([unsafe]), reference: reference) }
            #expect(refused?.exitStatus == .data && refused?.description.contains("refusing the repository") == true, "\(unsafe)")
        }
    }

    @Test("the model card's license: a value, a quoted value, a list; none outside the metadata block")
    func modelCards() {
        #expect(ModelCard.license(in: "---\nlanguage: en\nlicense: apache-2.0\n---\n# x") == "apache-2.0")
        #expect(ModelCard.license(in: "---\nlicense: \"mit\"\n---\n") == "mit")
        #expect(ModelCard.license(in: "---\nlicense:\n- mit\n- cc-by-4.0\ntags: []\n---\n") == "mit, cc-by-4.0")
        #expect(ModelCard.license(in: "---\nlicense: [mit, apache-2.0]\n---\n") == "mit, apache-2.0")
        #expect(ModelCard.license(in: "# Title\nlicense: mit\n") == nil)
        #expect(ModelCard.license(in: "---\ntags: [a]\n---\nlicense: mit\n") == nil)
    }

    @Test("Retry-After in seconds or as an HTTP date; the next page from a Link header")
    func headers() {
        #expect(HubClient.retryAfter(["Retry-After": "7"]) == 7)
        let later = HubClient.retryAfter(["Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"]) ?? 0
        #expect(later > 1_000_000)
        #expect(HubClient.retryAfter(["Retry-After": "soon"]) == nil)
        let link: HTTPHeaders = ["Link": "<https://hub.example/api/models/a/b/tree/c?cursor=xyz>; rel=\"next\""]
        #expect(HubClient.nextPage(link, relativeTo: "https://hub.example/api/models/a/b/tree/c") == "https://hub.example/api/models/a/b/tree/c?cursor=xyz")
        #expect(HubClient.nextPage([:], relativeTo: "https://hub.example/") == nil)
    }

    @Test("the cache layout: refs name commits, snapshot links are relative to blobs at any depth")
    func cacheLayout() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-hub-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = HubCache(root: root, repository: "acme/tiny")
        #expect(cache.folder.lastPathComponent == "models--acme--tiny")
        let commit = String(repeating: "c", count: 40)
        #expect(cache.commit(for: "main") == nil && cache.commit(for: commit) == commit)
        try cache.writeRef("refs/pr/1", commit: commit)
        #expect(cache.commit(for: "refs/pr/1") == commit)
        let partial = cache.partial("e1")
        try FileManager.default.createDirectory(at: partial.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: partial)
        try cache.commitBlob(from: partial, etag: "e1", commit: commit, path: "1_Pooling/config.json")
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: cache.snapshot(commit).appendingPathComponent("1_Pooling/config.json").path)
        #expect(link == "../../../blobs/e1")
        #expect(cache.has("1_Pooling/config.json", commit: commit, size: 2) && !cache.has("1_Pooling/config.json", commit: commit, size: 3))
        #expect(cache.files(in: commit) == ["1_Pooling/config.json"])
    }
}
