import Foundation
import OSGCarbon

/// File reading for the simulator: the inputs named on the command line, or the small
/// subsets bundled as package resources (Resources/README.md gives sources and licences).
public enum SimInputFiles {
    /// Reads a whole text file.
    ///
    /// - Throws: ``SimDataError`` `.unreadable` naming the path.
    public static func text(_ path: String) throws(SimDataError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimDataError(.unreadable, file: path, "cannot read the file (does it exist?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SimDataError(.unreadable, file: path, "is not UTF-8 text")
        }
        return text
    }

    /// A pod list from `path`.
    public static func podList(_ path: String) throws(SimDataError) -> PodListTrace.Contents {
        try PodListTrace.parse(text(path), file: path)
    }

    /// A price catalog from `path`.
    public static func priceCatalog(_ path: String) throws(SimDataError) -> [GPUOffer] {
        try PriceCatalog.parse(text(path), file: path)
    }

    /// The folder of the bundled data.
    public static var bundledDirectory: String {
        Bundle.module.bundleURL.appendingPathComponent("Resources").path
    }

    /// The bundled pod list (the whole `openb_pod_list_default.csv`).
    public static func bundledPodList() throws(SimDataError) -> PodListTrace.Contents {
        try podList(bundledDirectory + "/openb_pod_list_default.csv")
    }

    /// The bundled carbon series (62 days of 2022 for BR, ES, NO, US-CAL-CISO).
    public static func bundledAtlas() throws(CarbonDataError) -> CarbonAtlas {
        try CarbonAtlas(directory: bundledDirectory + "/carbon")
    }

    /// The bundled marketplace catalog (Vast.ai), the operators' asks.
    public static func bundledMarketOffers() throws(SimDataError) -> [GPUOffer] {
        try priceCatalog(bundledDirectory + "/vast.csv")
    }

    /// The bundled hyperscale catalog (Lambda Cloud), the concentrated list price.
    public static func bundledListOffers() throws(SimDataError) -> [GPUOffer] {
        try priceCatalog(bundledDirectory + "/lambda.csv")
    }

    /// A machine table (PAI 2020, GPU 2023 node list, or the derived format) from `path`.
    public static func machineTable(_ path: String) throws(SimDataError) -> [NodeShape] {
        try MachineTable.parse(text(path), file: path)
    }

    /// The bundled fleet mix `name` (`pai2020` or `openb2023`: node shapes counted from the
    /// traces' machine tables), or `nil` for another name.
    public static func bundledFleetMix(_ name: String) throws(SimDataError) -> [NodeShape]? {
        guard bundledFleetMixNames.contains(name) else { return nil }
        return try machineTable(bundledDirectory + "/fleet-mix-\(name).csv")
    }

    /// Names of the bundled fleet mixes.
    public static let bundledFleetMixNames = ["openb2023", "pai2020"]
}
