/// One-shot clearing of a whole snapshot: what `osg market clear` runs.
public enum MarketClearing {
    /// Clears every order of `snapshot` against its nodes and pools in one batch, with aging
    /// at `snapshot.now` and fair share when the snapshot lists `tenants`.
    ///
    /// The snapshot must pass ``MarketSnapshot/check()``.
    public static func clear(_ snapshot: MarketSnapshot) -> ClearingResult {
        var engine = ClearingEngine(nodes: snapshot.nodes, pools: snapshot.pools, tenants: snapshot.tenants)
        engine.starvationAfterSeconds = snapshot.starvationAfterSeconds
        return engine.clear(snapshot.orders, now: snapshot.now)
    }
}
