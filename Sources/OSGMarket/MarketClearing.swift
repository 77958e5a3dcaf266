/// One-shot clearing of a whole snapshot: what `osg market clear` runs.
public enum MarketClearing {
    /// Clears every order of `snapshot` against its nodes and pools in one batch, with aging
    /// at `snapshot.now` and fair share when the snapshot lists `tenants`.
    ///
    /// When the snapshot carries carbon series, the carbon step runs first (see
    /// docs/CARBON.md): flexible orders may be deferred to a cleaner hour or steered to a
    /// cleaner zone. Without series the clearing is exactly the plain auction.
    /// The snapshot must pass ``MarketSnapshot/check()``.
    public static func clear(_ snapshot: MarketSnapshot) -> ClearingResult {
        guard let atlas = snapshot.carbon else {
            var engine = ClearingEngine(nodes: snapshot.nodes, pools: snapshot.pools, tenants: snapshot.tenants)
            engine.starvationAfterSeconds = snapshot.starvationAfterSeconds
            return engine.clear(snapshot.orders, now: snapshot.now)
        }
        let step = CarbonShiftStep(snapshot: snapshot, atlas: atlas)
        var engine = ClearingEngine(nodes: step.nodes, pools: snapshot.pools, tenants: snapshot.tenants)
        engine.starvationAfterSeconds = snapshot.starvationAfterSeconds
        engine.preferredZones = step.preferredZones
        var result = engine.clear(step.orders, now: snapshot.now)
        result.unplaced += step.deferred
        result.unplaced.sort { $0.orderID.utf8.lexicographicallyPrecedes($1.orderID.utf8) }
        return result
    }
}
