/// A flag or environment variable of `osg serve` that cannot be used; the message names it,
/// the value and the fix.
struct ServeSettingError: Error, CustomStringConvertible, Equatable {
    let description: String

    init(_ description: String) { self.description = description }
}
