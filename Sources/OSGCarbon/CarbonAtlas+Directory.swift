import Foundation

// The only file I/O of OSGCarbon: everything else is pure.
extension CarbonAtlas {
    /// Reads every `<ZONE>_<YEAR>_hourly.csv` file of `directory` (other files are ignored).
    ///
    /// Files are read in name order and parsed by ``ElectricityMapsCSV/parse(_:file:)``.
    ///
    /// - Parameter directory: a folder path, e.g. `../shared/data/carbon`.
    /// - Throws: ``CarbonDataError``: `unreadable` when the folder or a file cannot be read or
    ///   holds no such file; otherwise the first parse error, located by file, line and column.
    public init(directory: String) throws(CarbonDataError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw CarbonDataError(.unreadable, file: directory, "cannot list the folder: \(error)")
        }
        let files = names.filter { ElectricityMapsCSV.zoneFromFileName($0) != nil }.sorted()
        guard !files.isEmpty else {
            throw CarbonDataError(.unreadable, file: directory, "holds no <ZONE>_<YEAR>_hourly.csv file")
        }
        var series: [CarbonSeries] = []
        for name in files {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CarbonDataError(.unreadable, file: path, "cannot read the file")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw CarbonDataError(.unreadable, file: path, "is not UTF-8 text")
            }
            series.append(try ElectricityMapsCSV.parse(text, file: name))
        }
        try self.init(series: series)
    }
}
