/// One-shot clearing of a whole snapshot: what `osg market clear` runs.
public enum MarketClearing {
    /// Clears every order of `snapshot` against its nodes and pools in one batch.
    ///
    /// The snapshot must pass ``MarketSnapshot/check()``.
    public static func clear(_ snapshot: MarketSnapshot) -> ClearingResult {
        var engine = ClearingEngine(nodes: snapshot.nodes, pools: snapshot.pools)
        return engine.clear(snapshot.orders)
    }
}
