extension Coordinator {
    /// Waits until the snapshot being taken, if any, is stored (tests and benchmarks).
    public func waitForSnapshot() async {
        await snapshotter.waitForInFlight()
    }
}
