import Autograd

/// A parameter `Variable` is what Adam updates: it has a `name`, a writable `value` and the
/// `gradient` that backward accumulated.
extension Variable: TrainableParameter {}
