/// `count` and `noun`, the noun in the plural unless the count is 1: `1 pair`, `3 pairs`,
/// `0 lines`. `plural` is for nouns that do not just add "s".
public func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
  "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
}
