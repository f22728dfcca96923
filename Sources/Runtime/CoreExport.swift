// Runtime's errors conform to ZooCore's protocol and its backends name ZooCore's `Modality`;
// Runtime's users see both without an import.
@_exported import ZooCore
