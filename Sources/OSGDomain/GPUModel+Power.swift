extension GPUModel {
    /// Board power (TDP) of one GPU of this model in watts; `nil` for a model without a figure.
    ///
    /// The carbon figures (docs/CARBON.md, "Carbon per GPU-hour") assume a leased GPU draws its
    /// TDP: an upper bound on what the board draws, with host power (CPU, memory, cooling) left
    /// out. A model without a figure has its GPU-hours counted as unknown, never guessed.
    public var boardPowerWatts: Int? { Self.boardPowerWattsByName[name] }

    /// TDP per catalogued model, in watts.
    ///
    /// Source: Epoch AI, "Machine Learning Hardware" (https://epoch.ai/data/machine-learning-hardware,
    /// CC BY 4.0, credit "Epoch AI"; column `TDP (W)`; SXM variants for data-centre parts). Models
    /// the table lacks or lists without a TDP (A30, L40S, RTX5090, MI250 OAM) are taken from the
    /// vendors' data sheets. The simulator's energy model (OSGSim `GPUPower`) uses the same figures.
    public static let boardPowerWattsByName: [String: Int] = [
        "K80": 300, "P100": 250, "T4": 70, "V100": 300, "A10": 150, "A10G": 150, "L4": 72,
        "RTX3090": 350, "A30": 165, "A40": 300, "RTXA6000": 300, "RTX4090": 450, "L40": 300,
        "L40S": 350, "RTX5090": 575, "A100": 400, "MI250": 560, "H100": 700, "MI300X": 750,
        "GH200": 700, "H200": 700, "B200": 1000,
    ]
}
