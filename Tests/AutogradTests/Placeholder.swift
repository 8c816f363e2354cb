import XCTest
@testable import Autograd
