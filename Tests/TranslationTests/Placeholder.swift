import XCTest
@testable import Translation
