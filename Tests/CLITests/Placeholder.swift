import XCTest
@testable import CLI
