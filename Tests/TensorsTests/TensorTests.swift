import XCTest
@testable import Tensors

final class TensorTests: XCTestCase {
  func testReshapeSharesStorageAndWriteCopies() {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    var b = a.reshaped([3, 2])
    XCTAssertTrue(a.storage === b.storage)
    b[flat: 0] = 9
    XCTAssertEqual(a[flat: 0], 1)
    XCTAssertEqual(b[0, 0], 9)
    XCTAssertEqual(b[2, 1], 6)
  }
}
