import OSGDomain

/// Board power (TDP, watts) per GPU model, for the energy of a GPU-hour.
///
/// From Epoch AI's "Machine Learning Hardware" table (CC BY 4.0, shared/data/gpus/
/// ml_hardware.csv, column `TDP (W)`), SXM variants for data-centre parts; models the table
/// lacks (L40S, L40, L4, RTX5090, A10G, A30) from the vendor's data sheets. A GPU is assumed to
/// draw its TDP while leased (an upper bound; docs/SIMULATOR.md).
public enum GPUPower {
    /// The coordinator's table (`GPUModel.boardPowerWatts`), so the simulator and the published
    /// carbon figures use the same power per model.
    static let tdpWatts: [String: Int] = GPUModel.boardPowerWattsByName

    /// The TDP of `model`, in watts (300 W when the table has no figure).
    public static func watts(_ model: GPUModel) -> Int { tdpWatts[model.name] ?? 300 }
}
