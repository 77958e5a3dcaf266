/// The relative paths of a published log directory (the coordinator serves it under `/log/`).
///
/// The C2SP tlog-tiles files (`checkpoint`, `tile/…`) sit beside three files of our own:
/// the genesis a replay starts from, the state the coordinator claims at the checkpoint, and
/// the verifier key of the checkpoint signer. See docs/TRANSPARENCY_LOG.md, "Published
/// directory".
public enum LogLayout {
    /// The signed C2SP checkpoint note.
    public static let checkpoint = "checkpoint"
    /// The log's genesis (canonical JSON of `Genesis`), fixed for the log's life.
    public static let genesis = "genesis.json"
    /// The folder of published states, one file per checkpoint size (the most recent kept).
    public static let stateFolder = "state"
    /// The checkpoint signer's verifier key, `<name>+<key ID>+<base64 key>` and a newline.
    public static let verifierKey = "verifier-key"

    /// The published state at tree size `treeSize` (canonical JSON of `PublishedState`):
    /// `state/<treeSize>.json`, written before the checkpoint of that size.
    public static func state(treeSize: UInt64) -> String {
        "\(stateFolder)/\(treeSize).json"
    }
}
