/// The on-disk layout of a dataset.
public enum DatasetFormat: String, CaseIterable, Sendable, Codable {
    /// WebDataset tar shards: a CLIP_benchmark folder (`SPLIT/nshards.txt`, `SPLIT/0.tar`…), a
    /// brace pattern such as `/data/pairs-{00000..00123}.tar`, a single `.tar`, or a folder of `.tar`s.
    case wds
    /// `PATH/CLASS/…/*.{jpg,jpeg,png,webp}`, one sub-folder per class.
    case imagefolder
    /// JSON Lines: one `{"image": …, "caption"|"captions"|"label": …}` object per line.
    case jsonl
    /// MNIST / Fashion-MNIST IDX files, optionally gzipped.
    case idx
}
