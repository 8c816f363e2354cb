import Translation
import Tensors

public enum TransformerCLI {
  public static func main(_ arguments: [String]) -> Int32 { 0 }
}
