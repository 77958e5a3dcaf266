import OSGDomain

/// Board power (TDP, watts) per GPU model, for the energy of a GPU-hour.
///
/// From Epoch AI's "Machine Learning Hardware" table (CC BY 4.0, shared/data/gpus/
/// ml_hardware.csv, column `TDP (W)`), SXM variants for data-centre parts; models the table
/// lacks (L40S, L40, L4, RTX5090, A10G, A30) from the vendor's data sheets. A GPU is assumed to
/// draw its TDP while leased (an upper bound; docs/SIMULATOR.md).
public enum GPUPower {
    static let tdpWatts: [String: Int] = [
        "K80": 300, "P100": 250, "T4": 70, "V100": 300, "A10": 150, "A10G": 150, "L4": 72,
        "RTX3090": 350, "A30": 165, "A40": 300, "RTXA6000": 300, "RTX4090": 450, "L40": 300,
        "L40S": 350, "RTX5090": 575, "A100": 400, "MI250": 560, "H100": 700, "MI300X": 750,
        "GH200": 700, "H200": 700, "B200": 1000,
    ]

    /// The TDP of `model`, in watts (300 W when the table has no figure).
    public static func watts(_ model: GPUModel) -> Int { tdpWatts[model.name] ?? 300 }
}
